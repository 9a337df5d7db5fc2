import Foundation
import SluiceHTTPClient
import SluiceKubeflow
import SluiceTesting
import Testing

/// Holds the fake Kubeflow server to the vendor's swagger
/// (`Tests/Fixtures/kubeflow/run.swagger.json`): its paths exist there, every
/// field it returns is declared with the declared type, states are from
/// `v2beta1RuntimeState`, and the fields a client relies on (the "Output" and
/// "Required input" fields of `v2beta1Run`) are present. The swagger lists
/// no `required` arrays (proto3), so those come from its descriptions.
@Suite struct FakeKubeflowSwaggerTests {
    nonisolated(unsafe) static let swagger: [String: Any] = {
        let data = (try? Fixtures.data("kubeflow/run.swagger.json")) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }()

    static var definitions: [String: Any] { swagger["definitions"] as? [String: Any] ?? [:] }

    /// Problems of `value` against the definition `name` (recursively).
    static func problems(_ value: Any, against name: String, at path: String = "$") -> [String] {
        guard let definition = definitions[name] as? [String: Any] else { return ["\(path): no definition \(name)"] }
        return problems(value, schema: definition, at: path)
    }

    static func problems(_ value: Any, schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            return problems(value, against: String(reference.split(separator: "/").last ?? ""), at: path)
        }
        switch schema["type"] as? String {
        case "string":
            guard let text = value as? String else { return ["\(path): not a string"] }
            if let allowed = schema["enum"] as? [String], !allowed.contains(text) { return ["\(path): \(text) not in \(allowed)"] }
            if schema["format"] as? String == "date-time", (try? Date(text, strategy: .iso8601)) == nil { return ["\(path): not a date-time"] }
            return []
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue else { return ["\(path): not an integer"] }
            return []
        case "array":
            guard let items = value as? [Any] else { return ["\(path): not an array"] }
            let itemSchema = schema["items"] as? [String: Any] ?? [:]
            return items.enumerated().flatMap { problems($1, schema: itemSchema, at: "\(path)[\($0)]") }
        case "object", nil:
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            if properties.isEmpty { return [] }  // free-form (`pipeline_spec`, `parameters`)
            return object.flatMap { key, member -> [String] in
                guard let property = properties[key] as? [String: Any] else {
                    return schema["additionalProperties"] == nil ? ["\(path).\(key): not declared"] : []
                }
                return problems(member, schema: property, at: "\(path).\(key)")
            }
        default:
            return []
        }
    }

    static func get(_ fake: FakeKubeflow, _ target: String, method: String = "GET", body: String? = nil) async throws -> (Int, Any) {
        let http = try CurlHTTPClient()
        let request = HTTPClientRequest(
            method: method, url: fake.baseURL + target, headers: [("Content-Type", "application/json")],
            body: body.map { .bytes(Array($0.utf8)) } ?? .empty)
        let response = try await http.execute(request, timeout: .seconds(5))
        return (response.status, try JSONSerialization.jsonObject(with: Data(response.body)))
    }

    static let createBody = #"""
        {"display_name":"d","experiment_id":"e","pipeline_version_reference":{"pipeline_id":"p","pipeline_version_id":"v"},
         "runtime_config":{"parameters":{"a":1,"b":"x"}}}
        """#

    @Test func fakePaths_areSwaggerPaths() {
        let paths = Set((Self.swagger["paths"] as? [String: Any] ?? [:]).keys)
        for path in ["/apis/v2beta1/runs", "/apis/v2beta1/runs/{run_id}", "/apis/v2beta1/runs/{run_id}:terminate"] {
            #expect(paths.contains(path), "\(path)")
        }
        let states = (Self.definitions["v2beta1RuntimeState"] as? [String: Any])?["enum"] as? [String]
        #expect(states == KubeflowRuntimeState.documented.map(\.rawValue))
    }

    @Test func createGetAndList_returnDeclaredV2beta1RunFields() async throws {
        let fake = try await FakeKubeflow.start()
        defer { Task { await fake.stop() } }
        let (status, created) = try await Self.get(fake, "/apis/v2beta1/runs", method: "POST", body: Self.createBody)
        #expect(status == 200)
        #expect(Self.problems(created, against: "v2beta1Run") == [])
        let run = try #require(created as? [String: Any])
        for field in ["run_id", "display_name", "state", "created_at", "storage_state", "runtime_config", "pipeline_version_reference"] {
            #expect(run[field] != nil, "\(field)")
        }
        let id = try #require(run["run_id"] as? String)
        fake.setState(run: id, "FAILED", error: "step train failed")
        let (_, fetched) = try await Self.get(fake, "/apis/v2beta1/runs/\(id)")
        #expect(Self.problems(fetched, against: "v2beta1Run") == [])
        let (_, listed) = try await Self.get(fake, "/apis/v2beta1/runs")
        #expect(Self.problems(listed, against: "v2beta1ListRunsResponse") == [])
        let (terminateStatus, terminated) = try await Self.get(fake, "/apis/v2beta1/runs/\(id):terminate", method: "POST", body: "{}")
        #expect(terminateStatus == 200 && (terminated as? [String: Any])?.isEmpty == true)
    }

    @Test func errors_areGoogleRpcStatusBodies() async throws {
        let fake = try await FakeKubeflow.start(token: "t")
        defer { Task { await fake.stop() } }
        let (status, body) = try await Self.get(fake, "/apis/v2beta1/runs/nope")
        #expect(status == 401)
        var object = try #require(body as? [String: Any])
        // `error` is grpc-gateway's runtimeError field beside googleRpcStatus.
        #expect(object.removeValue(forKey: "error") is String)
        #expect(Self.problems(object, against: "googleRpcStatus") == [])
        #expect(object["code"] as? Int == 16 && object["message"] != nil)
    }

    @Test func clientRequestBody_usesOnlyDeclaredFields() throws {
        let request = KubeflowRunRequest(
            displayName: "d", description: "x", experimentID: "e", pipelineID: "p", pipelineVersionID: "v",
            parameters: ["n": .number(1), "l": KubeflowValue(["a", "b"])])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(request))
        #expect(Self.problems(json, against: "v2beta1Run") == [])
    }
}
