package main

import "io"

func replayCmd(args []string, stdout, stderr io.Writer) int { return exitUsage }
