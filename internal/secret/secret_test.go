package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrintsValue(t *testing.T) {
	const v = "ya29.super-secret-token"
	s := New(v)
	holder := struct{ Token String }{s}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "token", s, "holder", holder)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "token", s)
	js, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v %x", s, s, s, holder, holder, s),
		s.String(), s.GoString(), string(js), logBuf.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, v) {
			t.Errorf("secret leaked in %q", out)
		}
	}
	if s.Reveal() != v {
		t.Errorf("Reveal = %q", s.Reveal())
	}
	if !New("").IsZero() || s.IsZero() {
		t.Error("IsZero wrong")
	}
	if New("").String() != "" || s.String() != Redacted {
		t.Error("String form wrong")
	}
}
