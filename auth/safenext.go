package auth

import (
	"net/url"
	"strings"
)

// safeNext returns next when it is a path on this site, else "/". It judges
// next as a browser will read it in a Location header: tabs and newlines
// dropped anywhere, control characters and spaces trimmed at both ends, a
// backslash read as a slash; so "/\t/evil.example" (a browser makes it
// "//evil.example", another host) is refused. The same holds after one more
// percent-decoding ("/%2F%2Fevil.example"), in case something in between
// decodes it. It returns next as normalized, which is what the browser would
// request anyway.
// SafeNext returns next when it is a path on this site, else "/" (see
// safeNext): for every sign-in that sends a person back where they were.
func SafeNext(next string) string {
	clean, ok := sitePath(next)
	if !ok {
		return "/"
	}
	decoded, err := url.PathUnescape(clean)
	if err != nil {
		return "/"
	}
	if _, ok := sitePath(decoded); !ok {
		return "/"
	}
	return clean
}

// sitePath normalizes a URL reference as a browser does (the WHATWG URL
// parser) and reports whether it is a path on the same origin: one leading
// slash, no scheme, no host.
func sitePath(ref string) (string, bool) {
	ref = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, ref)
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
		return "", false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return ref, true
}
