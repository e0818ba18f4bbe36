package metrics

import "github.com/prometheus/client_golang/prometheus"

// Histogram buckets are the kubelet's own (pkg/kubelet/metrics), so that
// histogram_quantile over a fleet mixing kubelets and minikubelets stays
// meaningful: quantiles cannot be merged across different bucket layouts.
var (
	// podStartBuckets is used by kubelet_pod_start_duration_seconds and
	// kubelet_pod_start_sli_duration_seconds.
	podStartBuckets = []float64{0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600}

	// imagePullBuckets is used by kubelet_image_pull_duration_seconds.
	imagePullBuckets = []float64{1, 5, 10, 20, 30, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600}

	// runtimeOperationBuckets is ExponentialBuckets(.005, 2.5, 14), as the
	// kubelet uses for kubelet_runtime_operations_duration_seconds.
	runtimeOperationBuckets = prometheus.ExponentialBuckets(.005, 2.5, 14)

	// defaultBuckets is component-base's DefBuckets, which equals
	// client_golang's; the kubelet uses it for pod worker, PLEG and
	// run_podsandbox histograms.
	defaultBuckets = prometheus.DefBuckets
)

// imageSizeBucket is one value of the image_size_in_bytes label.
type imageSizeBucket struct {
	above uint64 // the bucket holds sizes strictly greater than this
	label string
}

const mib = 1024 * 1024
const gib = 1024 * mib

// imageSizeBuckets are the kubelet's labels for image sizes, largest first
// so that the first match wins.
var imageSizeBuckets = []imageSizeBucket{
	{100 * gib, "GT100GB"},
	{60 * gib, "60GB-100GB"},
	{40 * gib, "40GB-60GB"},
	{30 * gib, "30GB-40GB"},
	{20 * gib, "20GB-30GB"},
	{10 * gib, "10GB-20GB"},
	{5 * gib, "5GB-10GB"},
	{1 * gib, "1GB-5GB"},
	{500 * mib, "500MB-1GB"},
	{100 * mib, "100MB-500MB"},
	{10 * mib, "10MB-100MB"},
	{0, "0-10MB"},
}

// imageSizeLabel returns the image_size_in_bytes label value for an image
// of the given size; 0 means the size is unknown, as in the kubelet.
func imageSizeLabel(sizeBytes uint64) string {
	if sizeBytes == 0 {
		return "N/A"
	}
	for _, b := range imageSizeBuckets {
		if sizeBytes > b.above {
			return b.label
		}
	}
	return "N/A" // unreachable: the last bucket holds every size > 0
}
