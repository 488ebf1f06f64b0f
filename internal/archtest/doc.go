// Package archtest owns the architecture test: the table of which gwmcp package may import which,
// checked against the source on every test run (DESIGN.md section 4, house rule 1). It has no
// code of its own.
package archtest
