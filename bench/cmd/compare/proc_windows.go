package main

import (
	"os"
	"os/exec"
)

// ownGroup does nothing: Windows has no process groups to kill as one.
func ownGroup(*exec.Cmd) {}

// killGroup kills p alone; whatever it started outlives it on Windows.
func killGroup(p *os.Process) { p.Kill() }
