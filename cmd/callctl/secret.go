package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"
)

// Where secrets come from; replaced by tests.
var (
	stdin         io.Reader = os.Stdin
	stdinTerminal           = func() bool { return isatty.IsTerminal(os.Stdin.Fd()) }
	readHidden              = readNoEcho
)

// secretSource is how a command was told to get a password or PIN: on
// the command line (visible to other local users in the process list),
// from standard input, from a file, or else by a prompt on a terminal.
type secretSource struct {
	what      string // "password", "PIN"
	flag      string // "password", "pin"
	arg       string
	fromStdin bool
	file      string
}

var (
	errNoSecret   = errors.New("no secret given")
	errTwoSources = errors.New("more than one source")
)

// read returns the secret. Only one source may be named; with none, it
// prompts (twice, to catch typos) when stdin is a terminal, and fails
// with errNoSecret otherwise.
func (s secretSource) read(stderr io.Writer) (string, error) {
	n := 0
	for _, given := range []bool{s.arg != "", s.fromStdin, s.file != ""} {
		if given {
			n++
		}
	}
	switch {
	case n > 1:
		return "", fmt.Errorf("give only one of --%s, --%s-stdin, --%s-file: %w", s.flag, s.flag, s.flag, errTwoSources)
	case s.arg != "":
		return s.arg, nil
	case s.fromStdin:
		return firstLine(stdin)
	case s.file != "":
		f, err := os.Open(s.file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		return firstLine(f)
	case !stdinTerminal():
		return "", errNoSecret
	}
	fmt.Fprintf(stderr, "%s: ", s.what)
	first, err := readHidden()
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "%s again: ", s.what)
	again, err := readHidden()
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if first != again {
		return "", fmt.Errorf("the two %ss differ", s.what)
	}
	return first, nil
}

// firstLine reads r's first line without its line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, 4096), 4096).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readNoEcho reads a line from the terminal on stdin with echo off.
func readNoEcho() (string, error) {
	fd := int(os.Stdin.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	return firstLine(os.Stdin)
}
