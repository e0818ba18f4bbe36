package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
)

// destinationCheckTimeout bounds the `test -d` that tells whether a
// destination in the pod is a directory, as kubectl bounds it.
const destinationCheckTimeout = 30 * time.Second

// CopyOptions are the inputs of `cp`, kubectl's flags.
type CopyOptions struct {
	// Source and Destination are as typed: a local path, or
	// [NAMESPACE/]POD:PATH; exactly one is in a pod.
	Source, Destination string
	Container           string
	// NoPreserve is --no-preserve: files copied into the pod get the
	// default owner and permissions.
	NoPreserve bool
	Protocol   Protocol
	Out        io.Writer
	ErrOut     io.Writer
}

// fileSpec is one side of a copy.
type fileSpec struct {
	namespace, pod string
	path           string
}

func (f fileSpec) remote() bool { return f.pod != "" }

// parseFileSpec reads kubectl's forms: PATH, POD:PATH, NAMESPACE/POD:PATH.
func parseFileSpec(arg string) (fileSpec, error) {
	i := strings.Index(arg, ":")
	switch {
	case i == 0:
		return fileSpec{}, fmt.Errorf("%q: a file spec is PATH, POD:PATH or NAMESPACE/POD:PATH", arg)
	case i < 0:
		return fileSpec{path: arg}, nil
	}
	pod, file := arg[:i], arg[i+1:]
	pieces := strings.Split(pod, "/")
	switch len(pieces) {
	case 1:
		return fileSpec{pod: pieces[0], path: file}, nil
	case 2:
		if pieces[0] == "" || pieces[1] == "" {
			break
		}
		return fileSpec{namespace: pieces[0], pod: pieces[1], path: file}, nil
	}
	return fileSpec{}, fmt.Errorf("%q: a file spec is PATH, POD:PATH or NAMESPACE/POD:PATH", arg)
}

// Copy copies files between this machine and a container, through tar
// run in the container (exec), as kubectl cp does: the container's image
// needs a tar.
func Copy(ctx context.Context, conn Connection, opts CopyOptions) error {
	src, err := parseFileSpec(opts.Source)
	if err != nil {
		return err
	}
	dest, err := parseFileSpec(opts.Destination)
	if err != nil {
		return err
	}
	switch {
	case src.remote() == dest.remote() && src.remote():
		return errors.New("one of src or dest must be a local file specification")
	case src.remote() == dest.remote():
		return errors.New("one of src or dest must be a remote file specification")
	case src.path == "" || dest.path == "":
		return errors.New("filepath can not be empty")
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	remote := src
	if dest.remote() {
		remote = dest
	}
	if remote.namespace == "" {
		remote.namespace = client.Namespace()
	}
	pod, err := client.GetPod(ctx, remote.namespace, remote.pod)
	if err != nil {
		return err
	}
	if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return fmt.Errorf("cannot exec into a container in a completed pod; current phase is %s", pod.Status.Phase)
	}
	container, err := pickContainer(pod, opts.Container, false, opts.ErrOut)
	if err != nil {
		return err
	}
	runner := &remoteRunner{client: client, pod: pod, container: container.Name, protocol: opts.Protocol}
	if dest.remote() {
		return copyToPod(ctx, runner, src.path, dest.path, opts)
	}
	return copyFromPod(ctx, runner, src.path, dest.path, opts)
}

// remoteRunner runs commands in one container.
type remoteRunner struct {
	client    *Client
	pod       *v1.Pod
	container string
	protocol  Protocol
}

// run runs command with the given streams (nil: not carried).
func (r *remoteRunner) run(ctx context.Context, command []string, in io.Reader, out, errOut io.Writer) error {
	req := r.client.rest.Post().Namespace(r.pod.Namespace).Resource("pods").Name(r.pod.Name).SubResource("exec").
		Param("container", r.container)
	for _, arg := range command {
		req = req.Param("command", arg)
	}
	// The runtime reports a missing program as the session's error
	// (containerd) or on its stderr with exit code 255 (CRI-O): keep the
	// end of stderr to tell.
	stderrTail := &tailBuffer{max: 4096}
	if errOut == nil {
		errOut = io.Discard
	}
	streams := streamsFor(in != nil, false, in, out, io.MultiWriter(errOut, stderrTail))
	err := r.client.stream(ctx, withStreamParams(req, streams).URL().String(), r.protocol, streams, nil)
	return explainMissingTool(err, stderrTail.String(), command[0], r.container)
}

// explainMissingTool says what to do when the image lacks the program cp
// runs (the runtime's own message names the missing executable).
func explainMissingTool(err error, stderr, program, container string) error {
	if err == nil {
		return nil
	}
	msg := err.Error() + "\n" + stderr
	if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") && strings.Contains(msg, program) {
		return fmt.Errorf("cp runs %q in the container, as kubectl cp does, and container %s has none in its PATH: use an image with tar, or copy one file with `minikubelet exec POD -- cat FILE > LOCAL`: %w", program, container, err)
	}
	return err
}

// copyToPod sends a local file or tree: `tar -xmf - -C DIR` in the
// container reads what makeTar writes.
func copyToPod(ctx context.Context, runner *remoteRunner, local, remote string, opts CopyOptions) error {
	if _, err := os.Lstat(local); err != nil {
		return fmt.Errorf("%s doesn't exist in local filesystem", local)
	}
	if runner.isDir(ctx, remote) {
		remote = path.Join(remote, path.Base(cleanLocal(local)))
	}
	remote = path.Clean(remote)
	reader, writer := io.Pipe()
	go func() {
		writer.CloseWithError(writeTar(writer, cleanLocal(local), path.Base(remote)))
	}()
	command := []string{"tar", "-xmf", "-"}
	if opts.NoPreserve {
		command = []string{"tar", "--no-same-permissions", "--no-same-owner", "-xmf", "-"}
	}
	if dir := path.Dir(remote); dir != "" {
		command = append(command, "-C", dir)
	}
	err := runner.run(ctx, command, reader, opts.Out, opts.ErrOut)
	_ = reader.CloseWithError(io.ErrClosedPipe) // ends writeTar if tar stopped reading
	if err != nil {
		return fmt.Errorf("copying %s to %s:%s: %w", local, runner.pod.Name, remote, err)
	}
	return nil
}

// isDir runs `test -d` in the container; any failure means "no".
func (r *remoteRunner) isDir(ctx context.Context, remote string) bool {
	ctx, cancel := context.WithTimeout(ctx, destinationCheckTimeout)
	defer cancel()
	return r.run(ctx, []string{"test", "-d", remote}, nil, io.Discard, io.Discard) == nil
}

// copyFromPod receives a file or tree: `tar cf - PATH` in the container,
// unpacked here by readTar.
func copyFromPod(ctx context.Context, runner *remoteRunner, remote, local string, opts CopyOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reader, writer := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := runner.run(ctx, []string{"tar", "cf", "-", remote}, nil, writer, opts.ErrOut)
		writer.CloseWithError(err)
		done <- err
	}()
	prefix := archivePrefix(remote)
	untarErr := readTar(reader, prefix, local, opts.ErrOut)
	if untarErr != nil {
		cancel() // the remote tar may still be writing: end the session
	}
	_ = reader.CloseWithError(io.ErrClosedPipe)
	if err := <-done; err != nil && untarErr == nil {
		return fmt.Errorf("copying %s:%s to %s: %w", runner.pod.Name, remote, local, err)
	}
	if untarErr != nil {
		return fmt.Errorf("copying %s:%s to %s: %w", runner.pod.Name, remote, local, untarErr)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string { return string(b.buf) }
