package serve

import _ "embed"

// openAPIDocument is the contract of the service (OpenAPI 3.0), served at
// GET /openapi.json; the tests validate it, and every request and answer
// they make against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.0 document of the service.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }
