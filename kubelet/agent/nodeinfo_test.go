package agent

import "testing"

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

func TestMemTotalBytes(t *testing.T) {
	tests := []struct {
		text string
		want int64
	}{
		{"MemTotal:        4028160 kB\nMemFree:  1 kB\n", 4028160 << 10},
		{"MemFree:  1 kB\n", 0},
		{"MemTotal: lots kB\n", 0},
	}
	for _, tt := range tests {
		if got := memTotalBytes([]byte(tt.text)); got != tt.want {
			t.Errorf("memTotalBytes(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
