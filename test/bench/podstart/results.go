package main

import "time"

// roundResult is one round of n pods on one side (minikubelet or floor):
// per pod, the time from the round's start until it ran and, after all
// were asked to go at once, until its sandbox was gone; and the CRI calls
// each phase cost (the agent's without its relists' lists).
type roundResult struct {
	start, gone         []time.Duration
	startOps, removeOps opCounts
	apiAll              time.Duration // pods created → all Running in the API server; 0 without -cluster
	restCPU             float64       // the floor's CPU relisting its running pods, % of a core; 0 if not measured
}

// side gathers one side's rounds for one pod count.
type side struct {
	start, gone         []time.Duration // every pod of every round
	startLast, goneLast []time.Duration // per round, its last pod
	startOps, removeOps opCounts        // summed over the rounds
	pods                int             // summed over the rounds
	apiAll              []time.Duration // per round, with -cluster
	restCPU             float64         // the last round's, if measured
}

func (s *side) add(r roundResult) {
	s.start = append(s.start, r.start...)
	s.gone = append(s.gone, r.gone...)
	s.startLast = append(s.startLast, longest(r.start))
	s.goneLast = append(s.goneLast, longest(r.gone))
	s.startOps = s.startOps.plus(r.startOps)
	s.removeOps = s.removeOps.plus(r.removeOps)
	s.pods += len(r.start)
	if r.apiAll > 0 {
		s.apiAll = append(s.apiAll, r.apiAll)
	}
	if r.restCPU > 0 {
		s.restCPU = r.restCPU
	}
}

// perPod divides summed calls by the pods they were for.
func (s *side) perPod(ops opCounts) opCounts {
	if s.pods == 0 {
		return opCounts{}
	}
	return ops.scaled(1 / float64(s.pods))
}

// steadyResult is the agent at rest with n pods running.
type steadyResult struct {
	window     time.Duration
	cpuPercent float64 // of one core
	mem        memory
	goroutines float64
	relists    float64
	relistMean time.Duration
	perRelist  opCounts // every CRI call of the window, per relist
	// apiRequests are the agent's requests to kube-apiserver in the
	// window, by method (with -cluster).
	apiRequests map[string]float64
	scrapes     []scrapeResult
	apiTable    apiResult // as `kubectl get pods` asks: a Table
	apiList     apiResult // a plain PodList, as client-go asks
}

// scrapeResult is the agent's cost of serving one metrics endpoint.
type scrapeResult struct {
	path    string
	count   int
	cpu     time.Duration // agent CPU per scrape, the idle rate subtracted
	bytes   int           // size of one answer
	perCall opCounts      // CRI calls per scrape, relists' lists subtracted
}

// apiResult is the latency of GET /api/v1/pods as the administrator.
type apiResult struct {
	latencies []time.Duration
	bytes     int
	items     int
}

// inventoryResult is what is left once a pod count's last round is gone.
type inventoryResult struct {
	sandboxes int      // of the bench (floor or this agent's node)
	addresses int      // host-local addresses held
	problems  []string // leftovers; empty when clean
	checked   string   // what the address check could read, or why not
}

// scaleResult is everything measured for one pod count.
type scaleResult struct {
	n, rounds    int
	agent, floor side
	steady       steadyResult
	inventory    inventoryResult
}
