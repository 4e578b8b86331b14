// Command hello is the floor of the lab's start-up comparisons
// (TestXenStartupRatios): a static Go binary that prints "hello", what
// any Go command costs to start in the lab's dom0 before doing anything.
package main

import "fmt"

func main() { fmt.Println("hello") }
