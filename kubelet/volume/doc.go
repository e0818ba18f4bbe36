// Package volume holds every volume type a pod can mount, one file each:
// how the type's fields are checked, how its host side is set up for the
// runtime to mount, and how it is torn down. Adding a type (configMap,
// secret, downwardAPI, projected) is adding a file here that implements
// Type and listing it in supported; the manifest validator and the sync
// loop find it through For. An image volume (image.go) is the one type
// with no host side: the runtime mounts the image.
package volume
