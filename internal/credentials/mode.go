package credentials

import (
	"fmt"
	"strings"
)

// Mode is how credentials are kept (CREDENTIAL_STORAGE_MODE).
type Mode string

// The storage modes.
const (
	FileEncrypted    Mode = "FILE_ENCRYPTED"     // {safe}_credentials.enc, the default
	FilePlaintext    Mode = "FILE_PLAINTEXT"     // {safe}_credentials.json
	MemoryOnly       Mode = "MEMORY_ONLY"        // nothing on disk
	MemoryWithBackup Mode = "MEMORY_WITH_BACKUP" // memory, written through to {safe}_backup.enc
)

// DefaultMode is the mode used when none is configured.
const DefaultMode = FileEncrypted

// Modes lists every mode.
var Modes = []Mode{FileEncrypted, FilePlaintext, MemoryOnly, MemoryWithBackup}

// ParseMode reads a mode name, case-insensitively (the Python server's lower-case
// values are accepted). An empty string means DefaultMode.
func ParseMode(s string) (Mode, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	if v == "" {
		return DefaultMode, nil
	}
	for _, m := range Modes {
		if string(m) == v {
			return m, nil
		}
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("credentials: unknown storage mode %q; allowed: %s", s, strings.Join(names, ", "))
}

// IsPlaintext reports whether the mode writes tokens unencrypted; the app warns about it.
func (m Mode) IsPlaintext() bool { return m == FilePlaintext }

// Persistent reports whether the mode keeps anything on disk.
func (m Mode) Persistent() bool { return m != MemoryOnly && m.valid() }

// NeedsKeyring reports whether the mode seals files and so needs a keyring.
func (m Mode) NeedsKeyring() bool { return m == FileEncrypted || m == MemoryWithBackup }

func (m Mode) valid() bool {
	for _, v := range Modes {
		if v == m {
			return true
		}
	}
	return false
}

// suffix is the file-name suffix of the mode's files ("" for MEMORY_ONLY).
func (m Mode) suffix() string {
	switch m {
	case FileEncrypted:
		return "_credentials.enc"
	case FilePlaintext:
		return "_credentials.json"
	case MemoryWithBackup:
		return "_backup.enc"
	}
	return ""
}
