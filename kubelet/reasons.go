package kubelet

// The kubelet's container state reasons, shown by `get pods` and `describe`.
const (
	ReasonContainerCreating = "ContainerCreating"
	ReasonPodInitializing   = "PodInitializing"
	ReasonCrashLoopBackOff  = "CrashLoopBackOff"
	ReasonErrImagePull      = "ErrImagePull"
	ReasonImagePullBackOff  = "ImagePullBackOff"
	ReasonErrImageNeverPull = "ErrImageNeverPull"
	ReasonCreateContainer   = "CreateContainerError"
	ReasonCreateConfig      = "CreateContainerConfigError"
	ReasonRunContainerError = "RunContainerError"
	ReasonError             = "Error"
	ReasonCompleted         = "Completed"
	ReasonOOMKilled         = "OOMKilled"
	ReasonNetworkNotReady   = "NetworkNotReady"
	ReasonManifestError     = "ManifestError"
	// ReasonOutOfPods is the kubelet's reason, and event, for a pod
	// that does not fit under maxPods.
	ReasonOutOfPods = "OutOfpods"
)

// Event reasons, as the kubelet records them.
const (
	EventPulling   = "Pulling"
	EventPulled    = "Pulled"
	EventCreated   = "Created"
	EventStarted   = "Started"
	EventKilling   = "Killing"
	EventBackOff   = "BackOff"
	EventFailed    = "Failed"
	EventSandbox   = "SandboxChanged"
	EventUnhealthy = "Unhealthy"
	// EventInvalidEnvNames: envFrom found keys that are no variable names.
	EventInvalidEnvNames = "InvalidEnvironmentVariableNames"
	// EventPullSecretMissing: an imagePullSecret could not be read; the
	// pull goes on without it, as the kubelet's does.
	EventPullSecretMissing = "FailedToRetrieveImagePullSecret"
	// The kubelet's events of an in-place resize.
	EventResizeStarted    = "ResizeStarted"
	EventResizeDeferred   = "ResizeDeferred"
	EventResizeInfeasible = "ResizeInfeasible"
	EventResizeError      = "ResizeError"
)
