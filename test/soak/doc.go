// Package soak churns pod lifecycles through a real agent on the test bed
// for as long as asked and checks that nothing grows or leaks (issue 16):
// the agent's anonymous memory, goroutines and open files, the runtime's
// sandboxes and containers, the CNI addresses, pod directories, cgroups
// and mounts.
//
//	make soak                          # 1000 lifecycles, about 15 minutes on 2 cores
//	make soak SOAK_LIFECYCLES=200      # the short form CI runs
//	make soak SOAK_LIFECYCLES=20000    # the long variant
//
// The test itself, TestSoak, carries the build tag e2e. The files without
// it hold what can be checked without a runtime: the pod mix, reading
// /proc and the table of figures, each with its unit tests.
package soak
