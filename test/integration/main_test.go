//go:build integration

// Package integration runs callctl against the real Asterisk of the test bed
// (test/asterisk) with SIP test phones. `make test` brings the test bed up and
// runs these tests with -tags integration, one package at a time.
package integration

import (
	"testing"

	"github.com/callctl/callctl/test/testbed"
)

func TestMain(m *testing.M) { testbed.Main(m) }
