public import ArgumentParser

/// The client commands of `sluice` (DESIGN.md §4), for the executable to
/// list beside `serve`, `gateway` and `migrate`.
///
/// Exit statuses: 0 success; 1 the server answered with a problem (its
/// title and detail are printed); 64 a usage error; 65 an input file that
/// cannot be read; 69 the server cannot be reached; 75 `--wait` timed out.
public enum SluiceCLI {
    /// Every client command.
    public static let commands: [any ParsableCommand.Type] = [
        LoginCommand.self, ApplyCommand.self, DiffCommand.self, TokensCommand.self, ApprovedFundsCommand.self,
        DatasetsCommand.self, ExperimentsCommand.self, RunsCommand.self, ModelsCommand.self, DeploymentsCommand.self,
        EndpointsCommand.self, EventsCommand.self,
    ]
}
