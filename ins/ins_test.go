package ins

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mssante-go/sdk/finding"
)

// Vectors of ins.md §8.
func TestParseVectors(t *testing.T) {
	tests := []struct {
		in      string
		want    Matricule
		err     error
		wantKey int // expected key reported by a checksum error
	}{
		{in: "279035121518989", want: "279035121518989"},
		{in: "2 95 10 99 126 111 93", want: "295109912611193"},
		{in: "295109912611193", want: "295109912611193"},
		{in: "253072B07300470", want: "253072B07300470"},
		{in: "253072A07300443", want: "253072A07300443"},
		{in: "253072a07300443", want: "253072A07300443"},
		{in: "2 53 07 2b 073 004 70", want: "253072B07300470"},
		{in: "277076322082910", want: "277076322082910"},
		{in: "295109912611199", err: ErrChecksum, wantKey: 93},
		{in: "253072C07300443", err: ErrFormat},
		{in: "6546546546546703", err: ErrLength},
		{in: "221042545611404", err: ErrChecksum, wantKey: 83},
		{in: "223042545611404", err: ErrChecksum, wantKey: 82},
		{in: "224027511583555", err: ErrChecksum, wantKey: 12},
		{in: "123456789012244", err: ErrChecksum, wantKey: 12},
		{in: "288091234567823", err: ErrChecksum, wantKey: 94},
		{in: "", err: ErrLength},
		{in: "2790351215189", err: ErrLength},
		{in: "27903512151898X", err: ErrFormat},
		{in: "2790351215189-9", err: ErrFormat},
		{in: "279035121518989 ", want: "279035121518989"},
		{in: "2790351215189\t89", err: ErrLength},
		{in: "2A9035121518989", err: ErrFormat},
		{in: "2790352A1518989", err: ErrFormat}, // 2A in positions 7-8, not 6-7
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.err != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.err)
				var pe *ParseError
				require.ErrorAs(t, err, &pe)
				if tt.wantKey != 0 {
					assert.Equal(t, tt.wantKey, pe.Want)
				}
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]int{
		"2790351215189": 89,
		"253072B073004": 70,
		"253072A073004": 43,
		"2951099126111": 93,
	} {
		k, err := Key(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, k, in)
	}
	_, err := Key("253072C073004")
	assert.ErrorIs(t, err, ErrFormat)
	_, err = Key("12")
	assert.ErrorIs(t, err, ErrLength)
	assert.Equal(t, "03", FormatKey(3))
	assert.Equal(t, "97", FormatKey(97))
}

func TestKeyRange(t *testing.T) {
	// Every key is in 01..97 and Parse accepts what Key computes.
	base := []byte("1850175123456")
	for i := 0; i < 500; i++ {
		base[12] = byte('0' + i%10)
		base[11] = byte('0' + (i/10)%10)
		base[10] = byte('0' + (i/100)%10)
		k, err := Key(string(base))
		require.NoError(t, err)
		require.True(t, k >= 1 && k <= 97, k)
		_, err = Parse(string(base) + FormatKey(k))
		require.NoError(t, err)
	}
}

func TestParseErrorMessages(t *testing.T) {
	_, err := Parse("295109912611199")
	assert.EqualError(t, err, "ins: control key 99 does not match, expected 93")
	_, err = Parse("253072C07300443")
	assert.EqualError(t, err, "ins: invalid character at position 7 of the matricule")
	_, err = Parse("6546546546546703")
	assert.EqualError(t, err, "ins: matricule has 16 characters, want 15")
}

func TestMatriculeParts(t *testing.T) {
	m := MustParse("279035121518989")
	assert.Equal(t, byte('2'), m.SexDigit())
	assert.Equal(t, "79", m.BirthYear())
	assert.Equal(t, "03", m.BirthMonth())
	assert.Equal(t, "51", m.Departement())
	assert.Equal(t, "51215", m.Place())
	assert.Equal(t, "89", m.Key())
	assert.Equal(t, "2 79 03 51 215 189 89", m.Grouped())
	var zero Matricule
	assert.Equal(t, "", zero.Key())
	assert.Panics(t, func() { MustParse("1") })
}

func TestOID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want OID
		kind Kind
		test bool
		name string
	}{
		{"1.2.250.1.213.1.4.8", OIDNIR, KindNIR, false, "INS-NIR"},
		{"urn:oid:1.2.250.1.213.1.4.9", OIDNIA, KindNIA, false, "INS-NIA"},
		{"1.2.250.1.213.1.4.10", OIDNIRTest, KindNIR, true, "INS-NIR de test"},
		{" 1.2.250.1.213.1.4.11 ", OIDNIRDemo, KindNIR, true, "INS-NIR de démonstration"},
	} {
		o, err := ParseOID(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, o)
		assert.Equal(t, tt.kind, o.Kind())
		assert.Equal(t, tt.test, o.IsTest())
		assert.Equal(t, tt.name, o.Name())
		assert.True(t, o.Valid())
	}
	_, err := ParseOID("1.2.250.1.213.1.4.2")
	assert.ErrorIs(t, err, ErrINSC)
	assert.ErrorIs(t, err, ErrNotINSOID)
	for _, bad := range []string{"1.2.250.1.213.1.4.5", "1.2.250.1.213.1.1.1", "", "1.2.250.1.213.1.4.1"} {
		_, err := ParseOID(bad)
		assert.ErrorIs(t, err, ErrNotINSOID, bad)
		assert.NotErrorIs(t, err, ErrINSC, bad)
	}
	assert.Equal(t, "urn:oid:1.2.250.1.213.1.4.8", OIDNIR.URN())
	assert.Equal(t, "", OID("1.2.3").Name())
	assert.Equal(t, Kind(""), OID("1.2.3").Kind())
}

func TestEnvironment(t *testing.T) {
	assert.NoError(t, AnyEnvironment.Allows(OIDNIRTest))
	assert.NoError(t, Production.Allows(OIDNIR))
	assert.ErrorIs(t, Production.Allows(OIDNIRTest), ErrWrongEnvironment)
	assert.ErrorIs(t, Production.Allows(OIDNIRDemo), ErrWrongEnvironment)
	assert.NoError(t, Test.Allows(OIDNIRDemo))
	assert.ErrorIs(t, Test.Allows(OIDNIA), ErrWrongEnvironment)
}

func testIdentity() Identity {
	return Identity{
		INS: INS{Matricule: "279035121518989", OID: OIDNIRTest},
		Traits: Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             SexFemale,
			BirthPlace:      "51215",
		},
		Status: StatusQualified,
	}
}

func TestIdentityGuard(t *testing.T) {
	id := testIdentity()
	require.NoError(t, id.CheckComplete())
	cx, err := id.CX()
	require.NoError(t, err)
	assert.Equal(t, "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH", cx)
	addr, err := id.MSCAddress(AnyEnvironment)
	require.NoError(t, err)
	assert.Equal(t, "279035121518989@patient.mssante.fr", addr)
	pid, err := id.PID3("ASIP-SANTE-INS-NIR")
	require.NoError(t, err)
	assert.Equal(t, "279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS", pid)
	ii, err := id.II()
	require.NoError(t, err)
	assert.Equal(t, II{Root: "1.2.250.1.213.1.4.10", Extension: "279035121518989"}, ii)
	assert.Equal(t, "O", id.XMSSINS())

	for _, st := range []Status{StatusProvisional, StatusValidated, StatusRecovered, ""} {
		id := testIdentity()
		id.Status = st
		_, err := id.CX()
		assert.ErrorIs(t, err, ErrNotQualified)
		var se *StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, st, se.Status)
		_, err = id.MSCAddress(AnyEnvironment)
		assert.ErrorIs(t, err, ErrNotQualified)
		_, err = id.PID3("")
		assert.ErrorIs(t, err, ErrNotQualified)
		_, err = id.II()
		assert.ErrorIs(t, err, ErrNotQualified)
		assert.Equal(t, "N", id.XMSSINS())
		if st != "" {
			assert.Contains(t, err.Error(), string(st))
		}
	}

	bad := testIdentity()
	bad.INS.Matricule = "279035121518988"
	_, err = bad.CX()
	assert.ErrorIs(t, err, ErrChecksum)
	assert.Equal(t, "N", bad.XMSSINS())

	insc := testIdentity()
	insc.INS.OID = OIDINSC
	_, err = insc.MSCAddress(AnyEnvironment)
	assert.ErrorIs(t, err, ErrINSC)

	noSex := testIdentity()
	noSex.Traits.Sex = ""
	assert.Equal(t, "N", noSex.XMSSINS())
	assert.ErrorIs(t, noSex.CheckComplete(), ErrMissingTrait)
}

func TestStatus(t *testing.T) {
	for _, s := range []string{"PROV", "VALI", "RECUP", "QUAL"} {
		st, err := ParseStatus(s)
		require.NoError(t, err)
		assert.True(t, st.Valid())
		assert.NotEmpty(t, st.Label())
		assert.Equal(t, s == "QUAL", st.MayCarryINS())
	}
	_, err := ParseStatus("qual")
	assert.ErrorIs(t, err, ErrUnknownStatus)
	assert.False(t, Status("X").Valid())
}

func TestTraits(t *testing.T) {
	tr := testIdentity().Traits
	require.NoError(t, tr.Validate())
	assert.Equal(t, "DOMINIQUE", tr.FirstGiven())
	assert.Equal(t, "19790328", tr.BirthDateString())
	tr.BirthGivenNames = "MARIE-LOUISE DOMINIQUE"
	assert.Equal(t, "MARIE-LOUISE", tr.FirstGiven())
	tr.FirstGivenName = "X"
	assert.Equal(t, "X", tr.FirstGiven())

	empty := Traits{}
	err := empty.Validate()
	require.ErrorIs(t, err, ErrMissingTrait)
	var te *TraitsError
	require.ErrorAs(t, err, &te)
	assert.ElementsMatch(t, []string{"BirthName", "BirthGivenNames", "BirthDate", "Sex", "BirthPlace"}, te.Fields)

	for _, cog := range []string{"2A004", "2B033", "99134", "97411"} {
		tr := testIdentity().Traits
		tr.BirthPlace = cog
		assert.NoError(t, tr.Validate(), cog)
	}
	for _, cog := range []string{"2C004", "5121", "512155", "A1215"} {
		tr := testIdentity().Traits
		tr.BirthPlace = cog
		assert.ErrorIs(t, tr.Validate(), ErrMissingTrait, cog)
	}
	leading := testIdentity().Traits
	leading.BirthGivenNames = " DOMINIQUE"
	assert.ErrorIs(t, leading.Validate(), ErrMissingTrait)
}

func TestSex(t *testing.T) {
	for in, want := range map[string]Sex{"F": SexFemale, "m": SexMale, "UN": SexUnknown, "U": SexUnknown} {
		s, err := ParseSex(in)
		require.NoError(t, err)
		assert.Equal(t, want, s)
	}
	_, err := ParseSex("X")
	assert.Error(t, err)
	assert.Equal(t, "UN", SexUnknown.CDACode())
	assert.Equal(t, "F", SexFemale.CDACode())
}

func TestNew(t *testing.T) {
	i, err := New("2 79 03 51 215 189 89", "urn:oid:1.2.250.1.213.1.4.10")
	require.NoError(t, err)
	assert.Equal(t, INS{Matricule: "279035121518989", OID: OIDNIRTest}, i)
	assert.True(t, i.IsTest())
	assert.Equal(t, KindNIR, i.Kind())
	assert.False(t, i.IsZero())
	assert.Equal(t, "279035121518989 (1.2.250.1.213.1.4.10)", i.String())
	_, err = New("279035121518989", "1.2.250.1.213.1.4.2")
	assert.ErrorIs(t, err, ErrINSC)
	_, err = New("279035121518988", "1.2.250.1.213.1.4.10")
	assert.ErrorIs(t, err, ErrChecksum)
	assert.ErrorIs(t, INS{Matricule: "279035121518989", OID: "1.2.3"}.Validate(), ErrNotINSOID)
	assert.True(t, INS{}.IsZero())
}

func TestCoherence(t *testing.T) {
	id := testIdentity()
	assert.Empty(t, Coherence(id.INS.Matricule, &id.Traits))

	tr := id.Traits
	tr.Sex = SexMale
	tr.BirthDate = time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC)
	tr.BirthPlace = "75056"
	got := Coherence(id.INS.Matricule, &tr)
	assert.Len(t, got.ByRule(RuleSexDigit), 1)
	assert.Len(t, got.ByRule(RuleBirthYear), 1)
	assert.Len(t, got.ByRule(RuleBirthMonth), 1)
	assert.Len(t, got.ByRule(RulePlace), 1)
	assert.Equal(t, 4, got.Count(finding.Warning))
	assert.False(t, got.HasErrors())

	// Same département, other commune: info only.
	tr = id.Traits
	tr.BirthPlace = "51454"
	got = Coherence(id.INS.Matricule, &tr)
	require.Len(t, got, 1)
	assert.Equal(t, finding.Info, got[0].Level)

	// Corsica and a special month are not warnings.
	corse := MustParse("253072B07300470")
	got = Coherence(corse, &Traits{Sex: SexFemale, BirthDate: time.Date(1953, 7, 1, 0, 0, 0, 0, time.UTC), BirthPlace: "2B073"})
	assert.Empty(t, got)
	k, _ := Key("1852099123456")
	special := MustParse("1852099123456" + FormatKey(k))
	got = Coherence(special, &Traits{Sex: SexMale, BirthDate: time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.Len(t, got, 1)
	assert.Equal(t, finding.Info, got[0].Level)
	assert.Equal(t, RuleBirthMonth, got[0].Rule)
	assert.Empty(t, Coherence("", nil))
}

func TestForms(t *testing.T) {
	want := INS{Matricule: "279035121518989", OID: OIDNIRTest}
	for _, cx := range []string{
		"279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH",
		"279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS",
		"279035121518989^^^ASIP-SATE&1.2.250.1.213.1.4.10&ISO^INS",
		" 279035121518989^^^&1.2.250.1.213.1.4.10&ISO ",
	} {
		got, err := ParseCX(cx)
		require.NoError(t, err, cx)
		assert.Equal(t, want, got)
	}
	_, err := ParseCX("IPP123^^^&1.2.250.1.71.4.2.2&ISO^PI")
	assert.ErrorIs(t, err, ErrNotINS)
	_, err = ParseCX("279035121518989^^^&1.2.250.1.213.1.4.2&ISO^NH")
	assert.ErrorIs(t, err, ErrINSC)
	_, err = ParseCX("279035121518989")
	assert.ErrorIs(t, err, ErrSyntax)
	_, err = ParseCX("279035121518989^^^&&ISO^NH")
	assert.ErrorIs(t, err, ErrSyntax)
	_, err = ParseCX("221042545611404^^^&1.2.250.1.213.1.4.10&ISO^NH")
	assert.ErrorIs(t, err, ErrChecksum)

	got, err := ParsePID3("ATHENEA^PI~279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = ParsePID3("ATHENEA^PI")
	assert.ErrorIs(t, err, ErrNotINS)
	_, err = ParsePID3("ATHENEA^PI~279035121518988^^^&1.2.250.1.213.1.4.10&ISO^INS")
	assert.ErrorIs(t, err, ErrChecksum)

	got, err = FromII(II{Root: "1.2.250.1.213.1.4.10", Extension: "279035121518989"})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = FromII(II{Root: "1.2.250.1.71.4.2.2", Extension: "123"})
	assert.ErrorIs(t, err, ErrNotINS)

	m, err := ParseMSCAddress("<279035121518989@PATIENT.mssante.fr>")
	require.NoError(t, err)
	assert.Equal(t, Matricule("279035121518989"), m)
	_, err = ParseMSCAddress("279035121518989@medecin.mssante.fr")
	assert.ErrorIs(t, err, ErrNotPatientAddress)
	_, err = ParseMSCAddress("2790351215189@patient.mssante.fr")
	assert.ErrorIs(t, err, ErrLength)
	_, err = ParseMSCAddress("288091234567823@patient.mssante.fr")
	assert.ErrorIs(t, err, ErrChecksum)
	assert.True(t, IsPatientAddress("x@Patient.MSSante.fr"))
	assert.False(t, IsPatientAddress("patient.mssante.fr"))
	assert.False(t, IsPatientAddress("x@patient.mssante.fr.evil.example"))
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrLength, ErrFormat, ErrChecksum, ErrNotINSOID, ErrNotQualified, ErrMissingTrait, ErrNotINS, ErrSyntax, ErrNotPatientAddress, ErrUnknownStatus, ErrWrongEnvironment}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v is %v", a, b)
			}
		}
	}
}

// TestMatriculeWarnings: the warnings of a matricule alone (ins.md §9).
func TestMatriculeWarnings(t *testing.T) {
	for _, tt := range []struct {
		m     Matricule
		rules []string
	}{
		{"279035121518989", nil},
		{"379995121518923", []string{RuleSexDigit, RuleBirthMonth}},
		{"279135121518955", []string{RuleBirthMonth}},
		{"27903512151", nil},
	} {
		var got []string
		for _, f := range tt.m.Warnings() {
			if f.Level != finding.Warning {
				t.Errorf("%s: %v is not a warning", tt.m, f)
			}
			got = append(got, f.Rule)
		}
		if !slices.Equal(got, tt.rules) {
			t.Errorf("%s: warnings %v, want %v", tt.m, got, tt.rules)
		}
	}
}
