package pullsecrets

import (
	"net"
	"net/url"
	"path"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// defaultRegistryKey is Docker Hub's key in a docker config
// ("https://index.docker.io/v1/" files under it).
const defaultRegistryKey = "index.docker.io"

// Lookup returns the credentials for pulling image, to try in order: those
// of every key that matches its repository, the most specific key first;
// Docker Hub's entry for a Docker Hub image no key matches. None means an
// anonymous pull.
func (k Keyring) Lookup(image string) []*runtimeapi.AuthConfig {
	repo := Repository(image)
	var out []*runtimeapi.AuthConfig
	for _, key := range k.keys {
		if urlsMatch(key, repo) {
			out = append(out, k.creds[key]...)
		}
	}
	if len(out) == 0 && isDockerHub(repo) {
		out = k.creds[defaultRegistryKey]
	}
	return out
}

// Repository is the image's repository in full, as the kubelet matches it:
// without tag or digest, and with Docker Hub's domain and library/ filled
// in ("busybox:1" is "docker.io/library/busybox").
func Repository(image string) string {
	name, _, _ := strings.Cut(image, "@")
	if slash, colon := strings.LastIndex(name, "/"), strings.LastIndex(name, ":"); colon > slash {
		name = name[:colon]
	}
	domain, rest, found := strings.Cut(name, "/")
	if !found || !strings.ContainsAny(domain, ".:") && domain != "localhost" && strings.ToLower(domain) == domain {
		domain, rest = "docker.io", name
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain + "/" + rest
}

// isDockerHub says whether a repository is on Docker Hub.
func isDockerHub(repo string) bool {
	domain, _, _ := strings.Cut(repo, "/")
	return domain == "docker.io" || domain == "index.docker.io"
}

// urlsMatch is the kubelet's URLsMatch: the same port, the same number of
// host parts with each part matching the key's (which may be a glob, as in
// *.example.com), and the repository's path under the key's.
func urlsMatch(key, repo string) bool {
	keyURL, err := url.Parse("https://" + key)
	if err != nil {
		return false
	}
	repoURL, err := url.Parse("https://" + repo)
	if err != nil {
		return false
	}
	keyParts, keyPort := splitHost(keyURL.Host)
	repoParts, repoPort := splitHost(repoURL.Host)
	if keyPort != repoPort || len(keyParts) != len(repoParts) || !strings.HasPrefix(repoURL.Path, keyURL.Path) {
		return false
	}
	for i := range keyParts {
		if ok, err := path.Match(keyParts[i], repoParts[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func splitHost(hostport string) (parts []string, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.Split(host, "."), port
}
