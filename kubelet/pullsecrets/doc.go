// Package pullsecrets turns a pod's image pull secrets into the CRI
// credentials for an image, as the kubelet's credential keyring
// (pkg/credentialprovider) does: each secret of type
// kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg holds entries
// keyed by registry (host, optional port, optional path prefix, a host
// part may be a glob), and an image gets the entries whose key matches its
// repository, the most specific key first. It is pure: the caller reads
// the secrets.
package pullsecrets
