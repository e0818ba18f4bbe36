package pullsecrets

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Keyring holds the credentials of a pod's pull secrets by registry key.
// Its zero value holds none.
type Keyring struct {
	// keys are sorted in reverse, as the kubelet's index: a key sorts
	// after every key it extends, so the most specific match comes first.
	keys  []string
	creds map[string][]*runtimeapi.AuthConfig
}

// dockerConfigJSON is the content of a kubernetes.io/dockerconfigjson
// secret; kubernetes.io/dockercfg holds its auths map alone.
type dockerConfigJSON struct {
	Auths map[string]dockerConfigEntry `json:"auths"`
}

type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Auth is base64("username:password"); it wins over the two fields.
	Auth string `json:"auth,omitempty"`
}

// New reads the secrets, in the pod's order. Secrets of other types, or
// without their key, give nothing, as in the kubelet; a secret whose
// content cannot be read is an error naming it, which fails the pull as
// the kubelet's MakeDockerKeyring does.
func New(secrets []*v1.Secret) (Keyring, error) {
	var k Keyring
	for _, s := range secrets {
		auths, err := secretAuths(s)
		if err != nil {
			return Keyring{}, fmt.Errorf("image pull secret %s/%s (type %s): %w", s.Namespace, s.Name, s.Type, err)
		}
		// Sorted so two entries that make one key keep a stable order.
		for _, registry := range slices.Sorted(maps.Keys(auths)) {
			if err := k.add(registry, auths[registry]); err != nil {
				return Keyring{}, fmt.Errorf("image pull secret %s/%s, registry %q: %w", s.Namespace, s.Name, registry, err)
			}
		}
	}
	slices.Sort(k.keys)
	k.keys = slices.Compact(k.keys)
	slices.Reverse(k.keys)
	return k, nil
}

func secretAuths(s *v1.Secret) (map[string]dockerConfigEntry, error) {
	switch {
	case s.Type == v1.SecretTypeDockerConfigJson && len(s.Data[v1.DockerConfigJsonKey]) > 0:
		var cfg dockerConfigJSON
		if err := json.Unmarshal(s.Data[v1.DockerConfigJsonKey], &cfg); err != nil {
			return nil, fmt.Errorf("reading %s: %w", v1.DockerConfigJsonKey, err)
		}
		return cfg.Auths, nil
	case s.Type == v1.SecretTypeDockercfg && len(s.Data[v1.DockerConfigKey]) > 0:
		var auths map[string]dockerConfigEntry
		if err := json.Unmarshal(s.Data[v1.DockerConfigKey], &auths); err != nil {
			return nil, fmt.Errorf("reading %s: %w", v1.DockerConfigKey, err)
		}
		return auths, nil
	}
	return nil, nil
}

// add files an entry under its key: the registry's host[:port] and path,
// without scheme and without a leading /v1/ or /v2/.
func (k *Keyring) add(registry string, entry dockerConfigEntry) error {
	user, password := entry.Username, entry.Password
	if entry.Auth != "" {
		var err error
		if user, password, err = decodeAuth(entry.Auth); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(registry, "https://") && !strings.HasPrefix(registry, "http://") {
		registry = "https://" + registry
	}
	parsed, err := url.Parse(registry)
	if err != nil {
		return fmt.Errorf("not a registry address: %w", err)
	}
	path := parsed.Path
	if strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v2/") {
		path = path[3:]
	}
	key := parsed.Host
	if path != "" && path != "/" {
		key += path
	}
	if k.creds == nil {
		k.creds = map[string][]*runtimeapi.AuthConfig{}
	}
	k.creds[key] = append(k.creds[key], &runtimeapi.AuthConfig{Username: user, Password: password})
	k.keys = append(k.keys, key)
	return nil
}

// decodeAuth splits base64("user:password"), padded or not.
func decodeAuth(field string) (user, password string, err error) {
	encoding := base64.RawStdEncoding
	if strings.HasSuffix(strings.TrimSpace(field), "=") {
		encoding = base64.StdEncoding
	}
	decoded, err := encoding.DecodeString(field)
	if err != nil {
		return "", "", fmt.Errorf("auth is not base64: %w", err)
	}
	user, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", errors.New("auth must be base64(username:password)")
	}
	return user, password, nil
}
