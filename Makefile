# gwmcp's developer entry points. CI runs .ci/run; these are for people.
.PHONY: test e2e

# The Go tests (the Redis cases skip without a server on 127.0.0.1:6379).
test:
	go test -race ./...

# End to end with real clients: oidc-provider as Google's login, the official MCP TypeScript
# SDK, headless Chromium (see e2e/node/README.md). Installs its npm packages and, if missing,
# Debian's chromium.
e2e:
	bash e2e/node/run.sh
