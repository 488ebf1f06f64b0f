package credentials

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash test re-executes this test binary as a child that runs Migrate or
// RotateKey (the real code; a test hook only sleeps between files so that kills land
// mid-operation), kills it with SIGKILL at a random moment, checks that every
// credential is still readable with its original content at that instant, then reruns
// the operation to completion and checks again.

const (
	crashOpEnv  = "GWMCP_CRASH_CHILD_OP"
	crashDirEnv = "GWMCP_CRASH_CHILD_DIR"
	crashStep   = 2 * time.Millisecond
)

// TestCrashChild is the child process; it does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	op := os.Getenv(crashOpEnv)
	if op == "" {
		t.Skip("helper process of TestCrashDuring")
	}
	dir := os.Getenv(crashDirEnv)
	sleep := func(string) { time.Sleep(crashStep) }
	fmt.Println("started")
	var err error
	switch {
	case op == "rotate":
		_, err = RotateKey(bg, RotateOptions{Dir: dir, afterStep: sleep})
	case strings.HasPrefix(op, "migrate:"):
		from, to, _ := strings.Cut(strings.TrimPrefix(op, "migrate:"), ":")
		_, err = Migrate(bg, MigrateOptions{Dir: dir, From: Mode(from), To: Mode(to), Keyring: keyringOf(t, dir), afterStep: sleep})
	default:
		t.Fatalf("unknown op %q", op)
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

// runAndKill starts the child for op and kills it after a random delay up to max. It
// reports whether the kill landed before the child finished.
func runAndKill(t *testing.T, rng *rand.Rand, dir, op string, max time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), crashOpEnv+"="+op, crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	started := false
	for !started && lines.Scan() {
		started = lines.Text() == "started"
	}
	if !started {
		cmd.Wait()
		t.Fatal("child did not start")
	}
	time.Sleep(time.Duration(rng.Int64N(int64(max))))
	cmd.Process.Signal(syscall.SIGKILL)
	done := false
	for lines.Scan() {
		if lines.Text() == "done" {
			done = true
		}
		if strings.HasPrefix(lines.Text(), "--- FAIL") {
			t.Errorf("child failed before the kill")
		}
	}
	cmd.Wait()
	return !done
}

// readableSomewhere checks that every credential of want opens, with its original
// content, from the files of at least one of modes, and that no file is unreadable.
func readableSomewhere(t *testing.T, dir string, want map[string]Credential, modes ...Mode) {
	t.Helper()
	kr := keyringOf(t, dir) // as a freshly started server would
	found := map[string]bool{}
	for _, m := range modes {
		paths, err := listFiles(dir, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			c, _, err := readFile(p, m, kr)
			if err != nil {
				t.Fatalf("after a kill, %s cannot be read: %v", p, err)
			}
			if w, ok := want[c.Email]; !ok || !w.Equal(c) {
				t.Fatalf("after a kill, %s does not hold the original credential", p)
			}
			found[c.Email] = true
		}
	}
	if len(found) != len(want) {
		t.Fatalf("after a kill, %d of %d credentials can be read", len(found), len(want))
	}
}

func TestCrashDuringMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	want := populate(t, dir, FileEncrypted, keyringOf(t, dir), 20)
	cycle := []Mode{FileEncrypted, FilePlaintext, MemoryWithBackup}
	const runs = 24
	midway := 0
	for i := range runs {
		from, to := cycle[i%3], cycle[(i+1)%3]
		if runAndKill(t, rng, dir, fmt.Sprintf("migrate:%s:%s", from, to), 100*time.Millisecond) {
			midway++
		}
		readableSomewhere(t, dir, want, from, to)
		if _, err := Migrate(bg, MigrateOptions{Dir: dir, From: from, To: to, Keyring: keyringOf(t, dir)}); err != nil {
			t.Fatalf("run %d: rerun after the kill: %v", i, err)
		}
		verifyAll(t, dir, to, keyringOf(t, dir), want)
	}
	t.Logf("%d of %d kills landed mid-migration", midway, runs)
	if midway < runs/2 {
		t.Fatalf("only %d of %d kills landed mid-migration", midway, runs)
	}
}

func TestCrashDuringKeyRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	want := populate(t, dir, FileEncrypted, keyringOf(t, dir), 20)
	const runs = 24
	midway := 0
	for i := range runs {
		before := keyringOf(t, dir).Primary()
		if runAndKill(t, rng, dir, "rotate", 60*time.Millisecond) {
			midway++
		}
		readableSomewhere(t, dir, want, FileEncrypted)
		res, err := RotateKey(bg, RotateOptions{Dir: dir})
		if err != nil {
			t.Fatalf("run %d: rerun after the kill: %v", i, err)
		}
		kr := keyringOf(t, dir)
		if len(kr.IDs()) != 1 || kr.Primary() != res.Primary || kr.Primary() == before {
			t.Fatalf("run %d: keys after the rerun %v (before %v)", i, kr.IDs(), before)
		}
		verifyAll(t, dir, FileEncrypted, kr, want)
	}
	t.Logf("%d of %d kills landed mid-rotation", midway, runs)
	if midway < runs/2 {
		t.Fatalf("only %d of %d kills landed mid-rotation", midway, runs)
	}
}
