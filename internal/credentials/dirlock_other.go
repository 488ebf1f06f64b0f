//go:build !unix

package credentials

// dirLock is a no-op where flock is unavailable: there, do not run Migrate or RotateKey
// beside a server.
type dirLock struct{}

func lockDir(dir string, exclusive bool) (*dirLock, error) { return &dirLock{}, nil }

func (l *dirLock) unlock() {}
