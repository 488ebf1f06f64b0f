package sandbox

import (
	"errors"
	"fmt"
	"strings"
)

// Account is a person who can sign in to the sandbox, like a Google account.
// Every email is verified.
type Account struct {
	// Sub is Google's stable numeric subject identifier ("1098...").
	Sub string
	// Email is the sign-in address, compared case-insensitively.
	Email string
	// Name is the display name; GivenName and FamilyName its parts.
	Name       string
	GivenName  string
	FamilyName string
	// HostedDomain is the Workspace domain, the `hd` claim; empty for a
	// consumer account.
	HostedDomain string
}

// DemoAccounts returns the sandbox's default people: three members of the
// Workspace domain sandbox.example and one consumer account without `hd`.
// Their subjects never change, so tests may rely on them.
func DemoAccounts() []Account {
	return []Account{
		{Sub: "109876543210000000001", Email: "alice@sandbox.example", Name: "Alice Martin",
			GivenName: "Alice", FamilyName: "Martin", HostedDomain: "sandbox.example"},
		{Sub: "109876543210000000002", Email: "bob@sandbox.example", Name: "Bob Nakamura",
			GivenName: "Bob", FamilyName: "Nakamura", HostedDomain: "sandbox.example"},
		{Sub: "109876543210000000003", Email: "carol@sandbox.example", Name: "Carol Okafor",
			GivenName: "Carol", FamilyName: "Okafor", HostedDomain: "sandbox.example"},
		{Sub: "109876543210000000004", Email: "dave@consumer.example", Name: "Dave Rossi",
			GivenName: "Dave", FamilyName: "Rossi"},
	}
}

// AddAccount adds a person who can sign in (for example a service account
// that MintIDToken should sign for). Sub and Email are required and unique.
func (s *Sandbox) AddAccount(a Account) error {
	if a.Sub == "" || a.Email == "" || !strings.Contains(a.Email, "@") {
		return errors.New("sandbox: add account: Sub and a valid Email are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.accounts {
		if have.Sub == a.Sub || strings.EqualFold(have.Email, a.Email) {
			return fmt.Errorf("sandbox: add account %s: subject or email already taken", a.Email)
		}
	}
	s.accounts = append(s.accounts, a)
	return nil
}

// Accounts returns the people who can sign in, in the order they were added.
func (s *Sandbox) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Account(nil), s.accounts...)
}

// LookupAccount finds an account by email (case-insensitively) or by subject.
func (s *Sandbox) LookupAccount(emailOrSub string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(emailOrSub)
	if a == nil {
		return Account{}, false
	}
	return *a, true
}

// SetAutoApprove makes the account with this email sign in and approve every
// authorization request without showing a page. An empty email turns it off.
func (s *Sandbox) SetAutoApprove(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if email != "" && s.account(email) == nil {
		return fmt.Errorf("sandbox: auto-approve: no account %q", email)
	}
	s.autoApprove = email
	return nil
}

// account finds an account by email or subject. Callers hold s.mu.
func (s *Sandbox) account(emailOrSub string) *Account {
	if emailOrSub == "" {
		return nil
	}
	for i := range s.accounts {
		a := &s.accounts[i]
		if a.Sub == emailOrSub || strings.EqualFold(a.Email, emailOrSub) {
			return a
		}
	}
	return nil
}

// accountBySub finds an account by subject only. Callers hold s.mu.
func (s *Sandbox) accountBySub(sub string) *Account {
	for i := range s.accounts {
		if s.accounts[i].Sub == sub {
			return &s.accounts[i]
		}
	}
	return nil
}
