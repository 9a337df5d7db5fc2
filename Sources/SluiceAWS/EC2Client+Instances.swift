extension EC2Client {
    /// `RunInstances`; returns the launched instances.
    public func runInstances(_ request: EC2RunInstancesRequest) async throws -> [EC2Instance] {
        let tree = try await call("RunInstances", request.parameters)
        return (tree.child("instancesSet")?.children("item") ?? []).map(EC2Instance.init)
    }

    /// One page of `DescribeInstances`: the instances and the next page's token.
    /// `maxResults` (5...1000) cannot be combined with `instanceIDs`.
    public func describeInstancesPage(
        instanceIDs: [String] = [], filters: [EC2Filter] = [], maxResults: Int? = nil, nextToken: String? = nil
    ) async throws -> (instances: [EC2Instance], nextToken: String?) {
        var parameters = Self.list("InstanceId", instanceIDs)
        for (index, filter) in filters.enumerated() {
            parameters.append(("Filter.\(index + 1).Name", filter.name))
            parameters += Self.list("Filter.\(index + 1).Value", filter.values)
        }
        if let maxResults { parameters.append(("MaxResults", String(maxResults))) }
        if let nextToken { parameters.append(("NextToken", nextToken)) }
        let tree = try await call("DescribeInstances", parameters)
        let instances = (tree.child("reservationSet")?.children("item") ?? []).flatMap { reservation in
            (reservation.child("instancesSet")?.children("item") ?? []).map(EC2Instance.init)
        }
        let token = tree.value("nextToken").flatMap { $0.isEmpty ? nil : $0 }
        return (instances, token)
    }

    /// `DescribeInstances`, every page (following `NextToken`).
    public func describeInstances(
        instanceIDs: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil
    ) async throws -> [EC2Instance] {
        var all: [EC2Instance] = []
        var token: String?
        repeat {
            let page = try await describeInstancesPage(
                instanceIDs: instanceIDs, filters: filters, maxResults: instanceIDs.isEmpty ? pageSize : nil, nextToken: token)
            all += page.instances
            token = page.nextToken
        } while token != nil
        return all
    }

    /// `TerminateInstances`; returns each instance's id and new state.
    @discardableResult
    public func terminateInstances(_ instanceIDs: [String]) async throws -> [(id: String, state: String)] {
        let tree = try await call("TerminateInstances", Self.list("InstanceId", instanceIDs))
        return (tree.child("instancesSet")?.children("item") ?? []).map { item in
            (item.value("instanceId") ?? "", item.child("currentState")?.value("name") ?? "")
        }
    }
}
