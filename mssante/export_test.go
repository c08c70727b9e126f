package mssante

// Test helpers of this package that the external test package
// (mssante_test: the benchmarks that drive the public API with the SMTP
// client, which imports mssante) uses.
var (
	THeader         = tHeader
	TDocOptions     = tDocOptions
	TMessage        = tMessage
	TWarmUp         = tWarmUp
	TRandomPDF      = tRandomPDF
	TComposeFromPDF = tComposeFromPDF
)
