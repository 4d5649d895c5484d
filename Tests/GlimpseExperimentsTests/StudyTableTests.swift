import GlimpseExperiments
import Testing

/// The study's tables as markdown and CSV.
@Suite struct StudyTableTests {
    @Test func csvQuotesCellsWithCommasQuotesAndLineBreaks() {
        let t = DefenseStudyReport.Table(columns: ["model", "acc. jpeg:75"], rows: [["a,b", "say \"hi\""], ["plain", "x\ny"]])
        #expect(t.csv == "model,acc. jpeg:75\n\"a,b\",\"say \"\"hi\"\"\"\nplain,\"x\ny\"\n")
        let one = DefenseStudyReport.Table(columns: t.columns, rows: [t.rows[0]])
        #expect(one.markdown == "| model | acc. jpeg:75 |\n| --- | --- |\n| a,b | say \"hi\" |\n")
    }
}
