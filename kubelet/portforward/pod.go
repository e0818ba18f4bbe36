package portforward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	v1 "k8s.io/api/core/v1"
)

// PodGoneError ends a session whose pod was deleted, replaced by a new pod
// of the same name, or terminated.
type PodGoneError struct {
	Namespace, Name string
	// Reason completes "pod NS/NAME …", e.g. "was deleted".
	Reason string
}

// Error implements error.
func (e *PodGoneError) Error() string {
	return fmt.Sprintf("pod %s/%s %s; port-forward ended", e.Namespace, e.Name, e.Reason)
}

// errPodMissing is fetchPod's answer for a pod the agent does not list.
var errPodMissing = errors.New("pod not listed by the agent")

// fetchPod reads the pod from the agent's kubelet-style GET /pods.
func fetchPod(ctx context.Context, agent *agentClient, namespace, name string) (*v1.Pod, error) {
	resp, err := agent.get(ctx, "pods")
	if err != nil {
		return nil, fmt.Errorf("listing pods at %s: %w (is the agent running? set --server)", agent.display, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("listing pods at %s: %s: %s%s", agent.display, resp.Status, trimBody(body), authHint(resp.StatusCode))
	}
	var list v1.PodList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("listing pods at %s: decoding the PodList: %w", agent.display, err)
	}
	for i := range list.Items {
		if pod := &list.Items[i]; pod.Namespace == namespace && pod.Name == name {
			return pod, nil
		}
	}
	return nil, fmt.Errorf("pod %q in namespace %q: %w at %s", name, namespace, errPodMissing, agent.display)
}

// authHint says what to do about a refused token.
func authHint(status int) string {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return " (the agent requires a bearer token: give --token)"
	}
	return ""
}

// checkRunning refuses a pod that cannot be forwarded to, as kubectl does.
func checkRunning(pod *v1.Pod) error {
	if pod.Status.Phase != v1.PodRunning {
		return fmt.Errorf("pod %s/%s is not running (phase %s): port-forward needs a Running pod", pod.Namespace, pod.Name, pod.Status.Phase)
	}
	return nil
}

// goneReason compares the pod now listed with the one the session started
// on and says why the session must end, or "" if it may go on.
func goneReason(started, now *v1.Pod) string {
	switch {
	case now == nil:
		return "was deleted"
	case now.UID != started.UID:
		return fmt.Sprintf("was replaced by a new pod (UID %s, was %s); start port-forward again", now.UID, started.UID)
	case now.Status.Phase == v1.PodSucceeded || now.Status.Phase == v1.PodFailed:
		return fmt.Sprintf("has terminated (phase %s)", now.Status.Phase)
	}
	return ""
}
