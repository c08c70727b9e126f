// Package cdakit runs the official ANS "Structuration minimale" schematron
// (the StrucMin rules of the CI-SIS test kit, ansforge/TestContenuCDA-3-0,
// schematrons/profils/structurationMinimale) on CDA R2 documents, with
// Saxon-HE in a Java process, and returns its verdicts as typed results.
//
// It exists for the SDK's own tests: the kit is the judge the Go validator of
// package cda must agree with (issue 13, ../shared/spec/cda.md §8). Nothing
// here is needed at run time by a vendor.
//
// The pipeline is the kit's (moteur/compilverif.bat): iso_dsdl_include.xsl
// pastes the includes, iso_abstract_expand.xsl expands abstract patterns,
// iso_svrl_for_xslt2.xsl compiles the rules into one XSLT 2.0 stylesheet, and
// that stylesheet turns each document into an SVRL report. Between the second
// and the third step, Compile gives every rule and every assert that lacks one
// an id (see [Catalogue]), so that each failed assert of a report names the
// assert it comes from; nothing else in the rules is changed. Compile also
// supplies the value set file the kit never shipped (JDV_J07 typeCode,
// include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml), generated from the IHE SVS
// file of the value set in the shape of its neighbours.
//
// Compile runs three Java processes once and keeps the result in a cache
// folder keyed by the SHA-256 of every input (rules, value sets, skeleton,
// Saxon jar, and this package's own transformation version), so that every
// test package of a `go test ./...` run shares one compilation.
// [Kit.Validate] transforms many documents in one Java process (Saxon reads a
// folder), or in two at once for a batch of hundreds: the Java start and the
// stylesheet load, about 8 s of CPU here, are paid once per process, then a
// small level 1 document costs some 30 ms and a 1.5 MB structured one 0.3 s.
//
// Java and Saxon-HE come from Debian (default-jre-headless,
// libsaxonhe-java: /usr/share/java/Saxon-HE.jar); `make deps` installs them.
package cdakit
