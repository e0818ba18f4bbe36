// Package staticpods is the manifest source: it watches a directory of v1
// Pod manifests, decodes and validates them strictly, and publishes the
// desired set of pods together with per-file errors written for people.
//
// How files are read:
//   - Only *.yaml, *.yml and *.json files directly in the directory count;
//     hidden files, editor leftovers (*~, #…#, *.swp, *.tmp) and
//     subdirectories are ignored. A symlink is followed only to a regular
//     file on disk (not /proc, /sys or another kernel pseudo-file system),
//     and files over 10 MiB are refused.
//   - A YAML file may hold up to 100 Pods separated by "---", each of at
//     most 1.5 MiB, with at most 32768 values (field names, values, list
//     items) in the file. A file is all or nothing: one bad document
//     refuses the whole file.
//   - The problems of a file are reported at once, each naming the field
//     and, where possible, the fix (DecodeManifest): the first 100, then
//     how many more. Every bound is checked before the work it protects,
//     so a hostile file costs time in proportion to its size and a bounded
//     amount of memory.
//   - Nothing of a document that is not a YAML or JSON object with a Pod's
//     fields is repeated in an error, only its size and kind: the file may
//     be a symlink to /etc/shadow.
//   - A namespace and name longer than 217 characters together are
//     refused: the pod's log directory <namespace>_<name>_<uid> must fit
//     in a file name.
//
// How changes are followed (Source):
//   - Only a completed write is read: a file its writer closed
//     (IN_CLOSE_WRITE) or renamed into place. A file anyone still has open
//     for writing (the kernel refuses a read lease) is read when the writer
//     closes it, so a manifest written in several writes never runs from
//     its first part; one a writer keeps open is read after
//     Config.WriterQuiet without a write. Where the kernel cannot tell
//     (another owner's file, no leases), a written file not yet closed is
//     read after Config.Settle without a write.
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
