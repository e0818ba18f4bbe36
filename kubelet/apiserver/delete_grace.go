package apiserver

import (
	"net/url"
	"strconv"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A delete's grace period, as the API server takes it. The value may be
// any int64; the sync loop bounds it before it becomes a duration, so the
// API reports what was asked for, as the API server does.

// deleteOptionsFromQuery reads the DeleteOptions a DELETE without a body
// carries in its query string (?gracePeriodSeconds=30), which the API
// server accepts as well as a body. dryRun is read from the query for
// every request (isDryRun).
func deleteOptionsFromQuery(query url.Values) (metav1.DeleteOptions, error) {
	var opts metav1.DeleteOptions
	if text := query.Get("gracePeriodSeconds"); text != "" {
		seconds, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return opts, apierrors.NewBadRequest("gracePeriodSeconds=" + text + ": give a whole number of seconds, e.g. ?gracePeriodSeconds=30")
		}
		opts.GracePeriodSeconds = &seconds
	}
	return opts, nil
}

// requestedGrace is the delete's gracePeriodSeconds, nil when it gave
// none. A negative value means one second, the API server's rule for pods
// (its pod strategy's CheckGracefulDelete).
func requestedGrace(opts metav1.DeleteOptions) *int64 {
	if opts.GracePeriodSeconds == nil {
		return nil
	}
	seconds := *opts.GracePeriodSeconds
	if seconds < 0 {
		seconds = 1
	}
	return &seconds
}

// deletionGracePeriod is what a deleted pod reports as its
// deletionGracePeriodSeconds: the delete's grace period, else its own
// terminationGracePeriodSeconds, else the API's default.
func deletionGracePeriod(pod *v1.Pod, requested *int64) int64 {
	switch {
	case requested != nil:
		return *requested
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return v1.DefaultTerminationGracePeriodSeconds
}
