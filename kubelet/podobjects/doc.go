// Package podobjects gives the sync loop the ConfigMaps, Secrets and
// service account tokens that pods from the API server refer to (volumes,
// env, image pull secrets), through short-lived caches: every container
// start and every volume refresh asks, and one pass over 110 pods that all
// mount their namespace's kube-root-ca.crt should cost one GET, not 110.
package podobjects
