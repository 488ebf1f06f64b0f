# gwmcp's test entry points. `make test` is the full test command (what CI runs); `go test
# -race ./...` stays the quick Go-only loop.
.PHONY: test test-go e2e

# Everything: the Go tests (including two replicas on Redis, e2e/replicas), then the end-to-end
# suite with real clients.
test: test-go e2e

# The Go tests (the Redis cases need a server on 127.0.0.1:6379; .ci/run starts one).
test-go:
	go test -race ./...

# End to end with software nobody here wrote: npm oidc-provider as Google's login, the official
# MCP TypeScript SDK (DCR and a client ID metadata document), MCP Inspector's CLI, the official
# MCP conformance suite, and headless Chromium clicking Approve (see e2e/node/README.md).
# Installs its pinned npm packages (Node 22 from the npm package node@22) and, if missing,
# Debian's chromium and openssl.
e2e:
	bash e2e/node/run.sh
