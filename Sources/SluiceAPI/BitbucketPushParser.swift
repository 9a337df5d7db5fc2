import SluiceDomain

/// The branches a Bitbucket push payload moved. Tags, deleted branches and
/// changes without a new commit are left out.
///
/// - Cloud `repo:push`: `repository.full_name` (`workspace/repo`) and
///   `push.changes[].new` `{type: "branch", name, target.hash}`.
/// - Data Center `repo:refs_changed`: `repository.project.key` + `/` +
///   `repository.slug` (`PROJECT/repo`) and `changes[]`
///   `{ref: {displayId, type: "BRANCH"}, toHash, type: ADD|UPDATE|DELETE}`.
enum BitbucketPushParser {
    static func pushes(eventKey: String, payload: [String: Any]) throws -> [CodePush] {
        eventKey == "repo:push" ? try cloud(payload) : try dataCenter(payload)
    }

    static func cloud(_ payload: [String: Any]) throws -> [CodePush] {
        guard let repository = (payload["repository"] as? [String: Any])?["full_name"] as? String, !repository.isEmpty else {
            throw DomainError.invalid(field: "repository.full_name", reason: "is required in a repo:push payload")
        }
        guard let changes = (payload["push"] as? [String: Any])?["changes"] as? [Any] else {
            throw DomainError.invalid(field: "push.changes", reason: "is required in a repo:push payload")
        }
        return try changes.compactMap { change -> CodePush? in
            guard let new = (change as? [String: Any])?["new"] as? [String: Any], new["type"] as? String == "branch" else { return nil }
            guard let branch = new["name"] as? String, let commit = (new["target"] as? [String: Any])?["hash"] as? String else {
                throw DomainError.invalid(field: "push.changes.new", reason: "a branch change needs name and target.hash")
            }
            return try push(repository, branch, commit)
        }
    }

    static func dataCenter(_ payload: [String: Any]) throws -> [CodePush] {
        let repository = payload["repository"] as? [String: Any]
        guard let slug = repository?["slug"] as? String, let key = (repository?["project"] as? [String: Any])?["key"] as? String,
            !slug.isEmpty, !key.isEmpty
        else { throw DomainError.invalid(field: "repository", reason: "needs slug and project.key in a repo:refs_changed payload") }
        guard let changes = payload["changes"] as? [Any] else {
            throw DomainError.invalid(field: "changes", reason: "is required in a repo:refs_changed payload")
        }
        return try changes.compactMap { item -> CodePush? in
            guard let change = item as? [String: Any], let ref = change["ref"] as? [String: Any], ref["type"] as? String == "BRANCH",
                change["type"] as? String != "DELETE"
            else { return nil }
            guard let branch = ref["displayId"] as? String, let commit = change["toHash"] as? String else {
                throw DomainError.invalid(field: "changes.ref", reason: "a branch change needs ref.displayId and toHash")
            }
            return try push("\(key)/\(slug)", branch, commit)
        }
    }

    static func push(_ repository: String, _ branch: String, _ commit: String) throws -> CodePush {
        guard ExperimentsController.isCommit(commit), repository.count <= 300, !branch.isEmpty, branch.count <= 255 else {
            throw DomainError.invalid(field: "commit", reason: "a pushed change needs a hexadecimal commit hash and a branch name")
        }
        return CodePush(repository: repository, branch: branch, commit: commit.lowercased())
    }
}
