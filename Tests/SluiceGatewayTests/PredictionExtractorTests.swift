import SluiceDomain
@testable import SluiceGateway
import Testing

@Suite struct PredictionExtractorTests {
    func torchserve(_ text: String) -> PredictionOutput? {
        PredictionExtractor.output(runtime: .torchserve, body: Array(text.utf8))
    }

    @Test func torchserve_understandsTheCommonHandlerShapes() {
        #expect(torchserve("0.25") == .number(0.25))
        #expect(torchserve(#""cat""#) == .label("cat", probabilities: nil))
        #expect(torchserve("[3.5]") == .number(3.5))
        #expect(torchserve(#"[{"label":"dog","probabilities":{"dog":0.7,"cat":0.3}}]"#)
            == .label("dog", probabilities: ["dog": 0.7, "cat": 0.3]))
        #expect(torchserve(#"{"cat":0.2,"dog":0.8}"#) == .label("dog", probabilities: ["cat": 0.2, "dog": 0.8]))
        #expect(torchserve("cat\n") == .label("cat", probabilities: nil))
    }

    @Test func torchserve_refusesWhatIsNotAPrediction() {
        #expect(torchserve("") == nil)
        #expect(torchserve("[1,2]") == nil)
        #expect(torchserve(#"{"code":503,"type":"ServiceUnavailableException","message":"x"}"#) == nil)
        #expect(torchserve(#"{"a":"b"}"#) == nil)
        // JSON that does not parse (Python's NaN, a trailing comma, cut
        // short) has no output: never its own text as a label.
        for broken in [#"{"label":"cat","probabilities":{"cat":NaN,"dog":0.1}}"#, "[0.5,]", #"{"label":"ca"#, " [1"] {
            #expect(torchserve(broken) == nil, "\(broken)")
        }
        // Numbers the store could not score (decision 92) are no output.
        #expect(torchserve("1e200") == nil && torchserve("[-1e31]") == nil && torchserve(#"{"label":1e40}"#) == nil)
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(#"{"outputs":[{"data":[1e300]}]}"#.utf8)) == nil)
        #expect(torchserve("1e30") == .number(1e30))
    }

    @Test func oip_takesTheFirstElementOfTheFirstOutput() {
        let body = #"{"model_name":"m","outputs":[{"name":"out","shape":[1],"datatype":"FP32","data":[0.75]}]}"#
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(body.utf8)) == .number(0.75))
        let label = #"{"outputs":[{"name":"out","shape":[1],"datatype":"BYTES","data":["fraud"]}]}"#
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(label.utf8)) == .label("fraud", probabilities: nil))
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(#"{"outputs":[]}"#.utf8)) == nil)
        #expect(PredictionExtractor.output(runtime: .oip, body: Array("0.5".utf8)) == nil)
    }
    /// The classifier answer is read without a JSON tree; whatever that
    /// shortcut takes must come out as the full parse reads it, and what
    /// it does not take goes to the full parse.
    @Test func labelAndProbabilities_shortcut_agreesWithTheFullParse() {
        let taken = [
            #"{"label":"cat","probabilities":{"cat":0.9,"dog":0.1}}"#,
            #"{"probabilities":{"cat":0.9},"label":"cat"}"#,
            " { \"label\" : \"cat\" ,\n\t\"probabilities\" : { \"cat\" : 0.9 } } \n",
            #"{"lab\u0065l":"c\u00e4t","probabilities":{"c\u00e4t":1}}"#,
            #"{"label":"cat","probabilities":{"cat":0.2,"cat":0.9}}"#,
            #"{"label":"cat","probabilities":{}}"#,
            #"{"label":"cat","probabilities":{"cat":1.5}}"#,
            #"{"label":"cat","probabilities":{"cat":-0.1}}"#,
            #"{"label":"","probabilities":{"cat":0.5}}"#,
            #"{"label":"a\u0000b","probabilities":{"cat":0.5}}"#,
            "{\"label\":\"" + String(repeating: "x", count: 300) + "\",\"probabilities\":{\"cat\":0.5}}",
            #"{"label":"cat","probabilities":{"":0.5}}"#,
            #"{"label":"cat","probabilities":{"cat":5e-1,"dog":0}}"#,
        ]
        let notTaken = [
            #"{"label":"cat","probabilities":{"cat":"0.5"}}"#,
            #"{"label":3,"probabilities":{"cat":0.5}}"#,
            #"{"label":"cat","label":"dog","probabilities":{"cat":0.5}}"#,
            #"{"label":"cat","probabilities":{"cat":0.5},"probabilities":{"dog":0.5}}"#,
            #"{"label":"cat","probabilities":{"cat":0.5},"x":1}"#,
            #"{"label":"cat"}"#,
            #"{"label":"cat","probabilities":{"cat":0.5}} x"#,
            #"{"label":"cat","probabilities":{"cat":0.5}"#,
            #"{"label":"cat","probabilities":{"cat":+0.5}}"#,
            #"{"label":"cat","probabilities":{"cat":{"x":1}}}"#,
            #"{"label":"cat","probabilities":null}"#,
            #"{"label":"cat","probabilities":{"cat":0.5,}}"#,
            #"{"label":"cat","probabilities":{"cat":1e999}}"#,
            #"[{"label":"cat","probabilities":{"cat":0.5}}]"#,
            "{}",
        ]
        var bodies = (taken + notTaken).map { Array($0.utf8) }
        // Not UTF-8 inside the label.
        bodies.append(Array(#"{"label":""#.utf8) + [0xC3, 0x28] + Array(#"","probabilities":{"cat":0.5}}"#.utf8))
        for body in bodies {
            let text = String(decoding: body, as: UTF8.self)
            #expect(PredictionExtractor.output(runtime: .torchserve, body: body)
                == PredictionExtractor.parsed(runtime: .torchserve, body: body), "\(text)")
        }
        for text in taken { #expect(JSONScanner.labelAndProbabilities(Array(text.utf8)) != nil, "\(text)") }
        for text in notTaken { #expect(JSONScanner.labelAndProbabilities(Array(text.utf8)) == nil, "\(text)") }
        // What the shortcut reads, spelled out.
        #expect(torchserve(taken[3]) == .label("cät", probabilities: ["cät": 1]))
        #expect(torchserve(taken[4]) == .label("cat", probabilities: ["cat": 0.9]))
        #expect(torchserve(taken[6]) == .label("cat", probabilities: nil))
        #expect(torchserve(taken[8]) == nil)
    }
}
