package ins

import "testing"

var sinkMatricule Matricule

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse("279035121518989")
		if err != nil {
			b.Fatal(err)
		}
		sinkMatricule = m
	}
}

func BenchmarkParseSpaced(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse("2 79 03 51 215 189 89")
		if err != nil {
			b.Fatal(err)
		}
		sinkMatricule = m
	}
}

func BenchmarkParseCX(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCX("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMSCAddress(b *testing.B) {
	id := qualified("279035121518989", OIDNIRTest)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := id.MSCAddress(Test); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMSCAddress(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMSCAddress("Dominique PAT-TROIS <279035121518989@patient.mssante.fr>"); err != nil {
			b.Fatal(err)
		}
	}
}
