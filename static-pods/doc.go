// Package staticpods is the manifest source: it watches a directory of v1
// Pod manifests, decodes and validates them strictly, and publishes the
// desired set of pods together with per-file errors written for people.
//
// How files are read:
//   - Only *.yaml, *.yml and *.json files directly in the directory count;
//     hidden files, editor leftovers (*~, #…#, *.swp, *.tmp) and
//     subdirectories are ignored. A symlink is followed only to a regular
//     file, and files over 10 MiB are refused.
//   - A YAML file may hold several Pods separated by "---". A file is all
//     or nothing: one bad document refuses the whole file.
//   - Every problem of a file is reported at once, each naming the field
//     and, where possible, the fix (DecodeManifest).
//
// How changes are followed (Source):
//   - A file that decodes and validates is published on the first event,
//     without delay. A file that fails, or disappears, is re-read once it
//     has been quiet for Config.Debounce, so an editor's half-written save
//     or backup-rename makes no noise and takes no pod down. Deleting a
//     file therefore removes its pods after the debounce period.
//   - A file that turns invalid keeps its last good pods, marked Stale,
//     beside its error. Only removing the file (or renaming it to a
//     non-manifest name) removes them.
//   - When two files define the same namespace/name, the file that defined
//     it first keeps it (on the first listing, the first by file name); the
//     other gets an error.
//   - The whole directory is re-listed every Config.Relist, which heals
//     missed events such as an edit behind a symlink.
package staticpods
