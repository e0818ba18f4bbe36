package main

import (
	"strings"
	"testing"
)

const sampleStatus = `Name:	kubia
Uid:	1000	1000	1000	1000
Gid:	3000	3000	3000	3000
Groups:	2000 4000 
NoNewPrivs:	1
Seccomp:	2
CapInh:	0000000000000000
CapPrm:	0000000000002000
CapEff:	0000000000002000
CapBnd:	00000000a80425fb
CapAmb:	0000000000000000
`

func TestDescribeIdentity(t *testing.T) {
	got, err := describeIdentity(sampleStatus)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"uid=1000 gid=3000 groups=2000,4000\n",
		"CapEff=0000000000002000 net_raw\n",
		"CapInh=0000000000000000 -\n",
		"CapBnd=00000000a80425fb chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,net_bind_service,net_raw,sys_chroot,mknod,audit_write,setfcap\n",
		"NoNewPrivs=1\n",
		"Seccomp=2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestDescribeIdentityRejectsGarbage(t *testing.T) {
	if _, err := describeIdentity("Name: x\n"); err == nil {
		t.Fatal("want an error for a status without Uid/Gid")
	}
}

func TestCapabilityListUnknownBit(t *testing.T) {
	if got := capabilityList(1 << 50); got != "cap_50" {
		t.Fatalf("capabilityList(1<<50) = %q", got)
	}
}
