// Package staticpods is the manifest source: it watches a directory of v1
// Pod manifests, decodes and validates them strictly, and publishes the
// desired set of pods together with per-file errors written for people.
package staticpods
