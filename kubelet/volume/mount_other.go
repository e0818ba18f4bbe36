//go:build !linux

package volume

import (
	"errors"

	"k8s.io/apimachinery/pkg/api/resource"
)

func mountMemory(string, *resource.Quantity) error {
	return errors.New("emptyDir medium Memory needs Linux")
}

func unmountIfMounted(string) error { return nil }

func isMountPoint(string) (bool, error) { return false, errors.New("mounts need Linux") }
