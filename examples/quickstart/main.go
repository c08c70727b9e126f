// Command quickstart shows the whole SDK at work against the embedded test
// operator (placeholder until the quickstart lands).
package main

import "fmt"

func main() {
	fmt.Println("quickstart: the MSSanté Go SDK (placeholder)")
}
