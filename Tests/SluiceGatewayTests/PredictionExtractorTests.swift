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
    }

    @Test func oip_takesTheFirstElementOfTheFirstOutput() {
        let body = #"{"model_name":"m","outputs":[{"name":"out","shape":[1],"datatype":"FP32","data":[0.75]}]}"#
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(body.utf8)) == .number(0.75))
        let label = #"{"outputs":[{"name":"out","shape":[1],"datatype":"BYTES","data":["fraud"]}]}"#
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(label.utf8)) == .label("fraud", probabilities: nil))
        #expect(PredictionExtractor.output(runtime: .oip, body: Array(#"{"outputs":[]}"#.utf8)) == nil)
        #expect(PredictionExtractor.output(runtime: .oip, body: Array("0.5".utf8)) == nil)
    }
}
