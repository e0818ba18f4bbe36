package node

import (
	"os"
	"testing"
)

func TestOSReleaseField(t *testing.T) {
	tests := []struct{ text, want string }{
		{"NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", "Debian GNU/Linux 12 (bookworm)"},
		{"PRETTY_NAME=Alpine\n", "Alpine"},
		{"PRETTY_NAME='Odd \"quoted\"'\n", "Odd \"quoted\""},
		{"NAME=x\n", ""},
	}
	for _, tt := range tests {
		if got := osReleaseField([]byte(tt.text), "PRETTY_NAME"); got != tt.want {
			t.Errorf("osReleaseField(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestMeminfoBytes(t *testing.T) {
	const text = "MemTotal:        4028160 kB\nMemFree:  1 kB\nMemAvailable:    2014080 kB\nBogus: lots kB\n"
	tests := []struct {
		field string
		want  int64
	}{
		{"MemTotal", 4028160 << 10},
		{"MemAvailable", 2014080 << 10},
		{"Mem", 0},
		{"Bogus", 0},
		{"SwapTotal", 0},
	}
	for _, tt := range tests {
		if got := meminfoBytes([]byte(text), tt.field); got != tt.want {
			t.Errorf("meminfoBytes(%s) = %d, want %d", tt.field, got, tt.want)
		}
	}
}

// TestLinuxHostReadsThisHost checks the real reads on the machine the
// tests run on: Linux always has these.
func TestLinuxHostReadsThisHost(t *testing.T) {
	obs := LinuxHost{RootDir: t.TempDir()}.Observe()
	if obs.KernelVersion == "" || obs.CPUs == 0 || obs.MemoryTotal == 0 || obs.MemoryAvailable == 0 {
		t.Errorf("kernel, CPUs or memory unread: %+v", obs)
	}
	if obs.FSCapacity == 0 || obs.FSAvailable > obs.FSCapacity {
		t.Errorf("root dir file system: capacity %d available %d", obs.FSCapacity, obs.FSAvailable)
	}
	if obs.PIDMax == 0 || obs.Processes == 0 || obs.Processes > obs.PIDMax {
		t.Errorf("PIDs: max %d running %d", obs.PIDMax, obs.Processes)
	}
	if _, err := os.Stat("/proc/sys/kernel/random/boot_id"); err == nil && len(obs.BootID) != 36 {
		t.Errorf("boot id %q", obs.BootID)
	}
}
