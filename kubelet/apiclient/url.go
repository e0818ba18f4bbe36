package apiclient

import "net/url"

// mustParseURL parses a URL that client-go built, which always parses.
func mustParseURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic("client-go built an unparsable URL " + raw + ": " + err.Error())
	}
	return u
}
