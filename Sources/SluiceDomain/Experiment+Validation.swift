extension ExperimentSpec {
    /// Every rule of an experiment at once (DESIGN.md §4). Whether `dataset`
    /// exists is the store's check.
    public static func validate(
        name: String?, kubeflow: KubeflowPipelineRef?, repository: String?, branch: String?, image: String?,
        dataset: String?, parameters: [String: JSONValue]?, trigger: String?
    ) throws(DomainError) -> (String, ExperimentSpec) {
        var validation = Validation()
        validation.name(name, "name")
        if let kubeflow = validation.require(kubeflow, "kubeflow") {
            validation.check(isKubeflowID(kubeflow.pipelineID), "kubeflow.pipeline_id", kubeflowIDRule)
            validation.check(isKubeflowID(kubeflow.pipelineVersionID), "kubeflow.pipeline_version_id", kubeflowIDRule)
            if let experimentID = kubeflow.experimentID {
                validation.check(isKubeflowID(experimentID), "kubeflow.experiment_id", kubeflowIDRule)
            }
        }
        if let repository = validation.require(repository, "code.repository") {
            validation.check(isRepository(repository), "code.repository", "must be '<workspace or project>/<repository>'")
        }
        if let branch = validation.require(branch, "code.branch") {
            validation.check(isBranch(branch), "code.branch", "must be a valid git branch name")
        }
        if let image = validation.require(image, "image") {
            validation.check(ImageReference(image) != nil, "image", ImageReference.rule)
        }
        validation.name(dataset, "dataset")
        if let parameters {
            validation.check(parameters.count <= 256, "parameters", "must hold at most 256 entries")
            validation.check(JSONValue.object(parameters).depth <= 8, "parameters", "must nest at most 8 levels")
        }
        let parsedTrigger = RunTrigger(rawValue: trigger ?? RunTrigger.manual.rawValue)
        validation.check(parsedTrigger != nil, "trigger", "must be one of manual, push")
        try validation.throwIfInvalid()
        guard let name, let kubeflow, let repository, let branch, let image, let dataset, let parsedTrigger else {
            throw .invalid(field: "body", reason: "is incomplete")
        }
        return (name, ExperimentSpec(
            kubeflow: kubeflow, code: CodeRef(repository: repository, branch: branch), image: image,
            dataset: dataset, parameters: parameters ?? [:], trigger: parsedTrigger))
    }

    static let kubeflowIDRule = "must be 1-128 letters, digits, '-' or '_'"

    /// Kubeflow ids are UUIDs; accept the characters ids are made of.
    static func isKubeflowID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { isWord($0) || $0 == UInt8(ascii: "-") }
    }

    /// Bitbucket Cloud `workspace/repo_slug` or Data Center `PROJECT/repo`.
    static func isRepository(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            (1...128).contains(part.utf8.count)
                && part.utf8.allSatisfy { isWord($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        }
    }

    /// The rules of `git check-ref-format --branch`, restricted to ASCII.
    static func isBranch(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...255).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.first != UInt8(ascii: "/"),
            bytes.last != UInt8(ascii: "/"), bytes.last != UInt8(ascii: "."), !name.contains(".."), !name.contains("//"),
            !name.contains("@{"), !name.hasSuffix(".lock"), name != "@"
        else { return false }
        let forbidden: Set<UInt8> = Set(" ~^:?*[\\".utf8)
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }
    }

    private static func isWord(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_")
    }
}
