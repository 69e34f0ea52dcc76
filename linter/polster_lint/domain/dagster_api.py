"""What the linter knows of Dagster's API, in one place, as of the Dagster 1.13 line.

Everything here was read from Dagster's own source, so that the linter decides the way
Dagster does when it loads a project:

* which parameters of an asset's function are upstream assets: Dagster drops the first
  parameter when it is named like the context, every parameter whose annotation is a
  resource type (a subclass of ``ResourceDefinition``, of ``ConfigurableResourceFactory``
  such as ``ConfigurableResource``, or of ``TreatAsResourceParam`` such as
  ``PipesSubprocessClient``; or ``ResourceParam[...]``), and the parameter named
  ``config``; the positional-or-keyword parameters left are inputs, whose key is their
  name (``get_function_params_without_context_or_config_or_resources``);
* what it refuses at load time: a context parameter annotated with anything but the
  three context classes (compared unevaluated, so a string annotation is refused), a
  ``config`` parameter without a usable annotation, a resource annotated with a
  ``ResourceDefinition`` or I/O manager class, an input named like a reserved word,
  ``*args``, a dependency key whose input name is not a valid Dagster name;
* what ``from dagster import *`` binds (Dagster has no ``__all__``: every public name).
"""

import keyword
import re
import sys

PUBLIC_NAMES = frozenset(
    """
    AddDynamicPartitionsRequest AllPartitionMapping AnchorBasedFilePathMapping Any Array
    AssetAttributesModel AssetCheckEvaluation AssetCheckExecutionContext AssetCheckKey
    AssetCheckResult AssetCheckSeverity AssetCheckSpec AssetChecksDefinition AssetDep
    AssetExecutionContext AssetIn AssetJobKey AssetKey AssetMaterialization
    AssetObservation AssetOrCheckKey AssetOut AssetPartitionStatus AssetRecordsFilter
    AssetSelection AssetSensorDefinition AssetSpec AssetValueLoader AssetsDefinition
    AutoMaterializeAssetPartitionsFilter AutoMaterializePolicy AutoMaterializeRule
    AutomationCondition AutomationConditionSensorDefinition AutomationContext
    AutomationResult BackfillPolicy Backoff BetaWarning BindResourcesToJobs Bool
    BoolMetadataValue BoolSource Callable CodeLocationSelector
    CodeReferencesMetadataValue Component ComponentFormConfig ComponentLoadContext
    ComponentTree ComponentTypeSpec Config ConfigArgumentWarning ConfigMapping
    ConfigSchema ConfigurableIOManager ConfigurableIOManagerFactory
    ConfigurableLegacyIOManagerAdapter ConfigurableResource DagsterAssetMetadataValue
    DagsterConfigMappingFunctionError DagsterError DagsterEvent
    DagsterEventLogInvalidForRun DagsterEventType DagsterExecutionInterruptedError
    DagsterExecutionStepExecutionError DagsterExecutionStepNotFoundError DagsterInstance
    DagsterInvalidConfigDefinitionError DagsterInvalidConfigError
    DagsterInvalidDefinitionError DagsterInvalidInvocationError
    DagsterInvalidSubsetError DagsterInvariantViolationError DagsterJobMetadataValue
    DagsterLibraryRegistry DagsterLogManager DagsterResourceFunctionError DagsterRun
    DagsterRunMetadataValue DagsterRunNotFoundError DagsterRunStatus
    DagsterStepOutputNotFoundError DagsterSubprocessError DagsterType
    DagsterTypeCheckDidNotPass DagsterTypeCheckError DagsterTypeLoader
    DagsterTypeLoaderContext DagsterUnknownPartitionError DagsterUnknownResourceError
    DagsterUnmetExecutorRequirementsError DagsterUserCodeExecutionError
    DailyPartitionsDefinition DataProvenance DataVersion DataVersionsByPartition
    DefaultRunLauncher DefaultScheduleStatus DefaultSensorStatus Definitions
    DefinitionsComponent DefsFolderComponent DeleteDynamicPartitionsRequest
    DependencyDefinition Dict DimensionPartitionMapping DynamicOut DynamicOutput
    DynamicPartitionsDefinition Enum EnumValue EnvVar EvaluateAutomationConditionsResult
    EventLogEntry EventLogRecord EventRecordsFilter EventRecordsResult
    ExecuteInProcessResult Executor ExecutorDefinition ExecutorRequirement
    ExpectationResult Failure Field FileHandle FilePathMapping FilesystemIOManager Final
    Float FloatMetadataValue FreshnessPolicy FunctionComponent GraphDefinition GraphIn
    GraphOut HookContext HookDefinition HookExecutionResult HourlyPartitionsDefinition
    IAttachDifferentObjectToOpContext IOManager IOManagerDefinition
    IdentityPartitionMapping In InMemoryIOManager InitExecutorContext InitLoggerContext
    InitResourceContext Injected InputContext InputManager InputManagerDefinition
    InputMapping Int IntMetadataValue IntSource Jitter JobDefinition JobExecutionResult
    JobSelector JsonLogFormatter JsonMetadataValue LastPartitionMapping
    LegacyFreshnessPolicy List LocalFileCodeReference LocalFileHandle LoggerDefinition
    MAX_RUNTIME_SECONDS_TAG Map Mapping MarkdownMetadataValue MaterializeResult
    MetadataEntry MetadataValue MigrateIOStorageResult Model MonthlyPartitionsDefinition
    MultiAssetSensorDefinition MultiAssetSensorEvaluationContext
    MultiDependencyDefinition MultiPartitionKey MultiPartitionMapping
    MultiPartitionsDefinition MultiToSingleDimensionPartitionMapping NodeInvocation
    Noneable NotebookMetadataValue Nothing NullMetadataValue ObserveResult OpDefinition
    OpExecutionContext Optional Out Output OutputContext OutputMapping PaginatedResults
    Partition PartitionKeyRange PartitionMapping PartitionedConfig PartitionsDefinition
    PathMetadataValue PendingNodeInvocation Permissive PermissiveConfig
    PipesBlobStoreMessageReader PipesClient PipesClientCompletedInvocation
    PipesCompositeMessageReader PipesContextInjector PipesEnvContextInjector
    PipesExecutionResult PipesFileContextInjector PipesFileMessageReader
    PipesLaunchedData PipesLogReader PipesMessageHandler PipesMessageReader PipesSession
    PipesSubprocessClient PipesTempFileContextInjector PipesTempFileMessageReader
    PoolMetadataValue PreviewWarning PythonArtifactMetadataValue PythonObjectDagsterType
    PythonScriptComponent QueuedRunCoordinator ReexecutionOptions RepositoryData
    RepositoryDefinition RepositorySelector ResolutionContext Resolvable
    ResolvedAssetCheckSpec ResolvedAssetKey ResolvedAssetSpec Resolver
    ResourceDefinition ResourceDependency ResourceParam RetryPolicy RetryRequested
    RunConfig RunFailureSensorContext RunRecord RunRequest RunShardedEventsCursor
    RunStatusChangeRecordsFilter RunStatusSensorContext RunStatusSensorDefinition
    RunsFilter ScaffoldRequest Scaffolder ScalarUnion ScheduleDefinition
    ScheduleEvaluationContext Selector SensorDefinition SensorEvaluationContext
    SensorResult SensorReturnTypesUnion Sequence Set Shape SkipReason SourceAsset
    SpecificPartitionsPartitionMapping SqlComponent StateBackedComponent
    StaticPartitionMapping StaticPartitionsDefinition StepExecutionContext StepLauncher
    StepRunRef String StringSource SubmitRunContext SupersessionWarning TYPE_CHECKING
    TableColumn TableColumnConstraints TableColumnDep TableColumnLineage
    TableColumnLineageMetadataValue TableConstraints TableMetadataValue TableRecord
    TableSchema TableSchemaMetadataValue TemplatedSqlComponent TextMetadataValue
    TimeWindow TimeWindowPartitionMapping TimeWindowPartitionsDefinition
    TimestampMetadataValue Tuple TypeCheck TypeCheckContext TypingAny TypingTuple
    UPathDefsStateStorage UPathIOManager UrlCodeReference UrlMetadataValue
    UvRunComponent WeeklyPartitionsDefinition apply_freshness_policy asset asset_check
    asset_sensor build_asset_check_context build_asset_context
    build_column_schema_change_checks build_component_defs build_defs_for_component
    build_hook_context build_init_logger_context build_init_resource_context
    build_input_context build_last_update_freshness_checks build_metadata_bounds_checks
    build_multi_asset_sensor_context build_op_context build_output_context
    build_reconstructable_job build_resources build_run_status_sensor_context
    build_schedule_context build_schedule_from_partitioned_job build_sensor_context
    build_sensor_for_freshness_checks build_time_partition_freshness_checks
    check_dagster_type colored_console_logger component_defs component_instance
    components config_from_files config_from_pkg_resources config_from_yaml_strings
    config_mapping configured create_repository_using_definitions_args
    custom_path_fs_io_manager dagster_type_loader daily_partitioned_config
    default_loggers default_system_loggers define_asset_job definitions
    deprecation_warning deserialize_value dynamic_partitioned_config
    evaluate_automation_conditions execute_job executor
    external_instance_from_step_run_ref failure_hook file_relative_path fs_io_manager
    get_all_components_defs_within_project get_component_defs_within_project
    get_dagster_logger graph graph_asset graph_multi_asset hourly_partitioned_config
    importlib in_process_executor input_manager instance_for_test io_manager job
    json_console_logger link_code_references_to_git
    load_asset_checks_from_current_module load_asset_checks_from_modules
    load_asset_checks_from_package_module load_asset_checks_from_package_name
    load_assets_from_current_module load_assets_from_modules
    load_assets_from_package_module load_assets_from_package_name
    load_definitions_from_current_module load_definitions_from_module
    load_definitions_from_modules load_definitions_from_package_module
    load_definitions_from_package_name load_defs load_from_defs_folder
    local_file_manager logger make_email_on_run_failure_sensor
    make_python_type_usable_as_dagster_type make_values_resource map_asset_specs
    materialize materialize_to_memory mem_io_manager migrate_io_storage
    monthly_partitioned_config multi_asset multi_asset_check multi_asset_sensor
    multi_observable_source_asset multi_or_in_process_executor
    multiple_process_executor_requirements multiprocess_executor observable_source_asset
    op open_pipes_session partition_loading_context partitioned_config
    raise_execution_interrupts reconstructable repository resource resources
    run_failure_sensor run_status_sensor run_step_from_ref scaffold_component
    scaffold_with schedule sensor serialize_value static_partitioned_config
    step_context_to_step_run_ref step_run_ref_to_step_context success_hook sys
    template_var usable_as_dagster_type validate_run_config version
    weekly_partitioned_config with_resources with_source_code_references
    """.split()
)
"""The names ``from dagster import *`` binds (the public names of the ``dagster`` module)."""

CONTEXT_PARAMETER_NAMES = frozenset({"context", "_context", "context_", "_"})
"""A first parameter with one of these names is the context (``get_valid_name_permutations``)."""

CONTEXT_TYPES = frozenset(
    {
        "dagster.AssetExecutionContext",
        "dagster.OpExecutionContext",
        "dagster.AssetCheckExecutionContext",
    }
)
"""The only annotations Dagster accepts on the context (``_validate_context_type_hint``)."""

RESERVED_INPUT_NAMES = frozenset(
    {
        "context",
        "conf",
        "config",
        "meta",
        "arg_dict",
        "dict",
        "input_arg_dict",
        "output_arg_dict",
        "int",
        "str",
        "float",
        "bool",
        "input",
        "output",
        "type",
        *keyword.kwlist,
    }
)
"""Names Dagster refuses for an input (``DISALLOWED_NAMES``)."""

VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")
"""What an input name must look like; a dependency's input name is its key's parts joined
by ``__``, so ``deps=["silver/x"]`` (one part with a slash) is refused."""

# What a type is, as far as parameters go: marks combined over its base classes.
RESOURCE_FACTORY = "factory"
"""A ``ConfigurableResourceFactory`` (``ConfigurableResource``, the I/O manager classes)."""
CONFIGURABLE_RESOURCE = "configurable"
"""A ``ConfigurableResource``: the one factory Dagster accepts as a parameter annotation."""
RESOURCE_DEFINITION = "definition"
"""A ``ResourceDefinition`` (``IOManagerDefinition``...): a resource, refused as an annotation."""
TREAT_AS_RESOURCE = "treat-as"
"""A ``TreatAsResourceParam`` (the Pipes clients)."""
CONFIG = "config"
"""A ``Config`` class: what a ``config`` parameter may be annotated with."""
UNKNOWN = "unknown"
"""Defined where the linter cannot see."""

DAGSTER_MARKS: dict[str, frozenset[str]] = {
    "Config": frozenset({CONFIG}),
    "PermissiveConfig": frozenset({CONFIG}),
    "ConfigurableResource": frozenset({RESOURCE_FACTORY, CONFIGURABLE_RESOURCE, CONFIG}),
    "PipesSubprocessClient": frozenset({TREAT_AS_RESOURCE}),
    "ConfigurableIOManager": frozenset({RESOURCE_FACTORY, CONFIG}),
    "ConfigurableIOManagerFactory": frozenset({RESOURCE_FACTORY, CONFIG}),
    "ConfigurableLegacyIOManagerAdapter": frozenset({RESOURCE_FACTORY, CONFIG}),
    "FilesystemIOManager": frozenset({RESOURCE_FACTORY, CONFIG}),
    "IOManagerDefinition": frozenset({RESOURCE_DEFINITION}),
    "InputManagerDefinition": frozenset({RESOURCE_DEFINITION}),
    "ResourceDefinition": frozenset({RESOURCE_DEFINITION}),
}
"""The public classes of ``dagster`` that are resources or config (every other is data)."""

CONFIG_BUILTINS = frozenset({"int", "float", "str", "bool", "dict", "list"})
"""Plain types a ``config`` parameter may be annotated with (a ``tuple`` or ``set`` is not)."""

DATA_PACKAGES = frozenset(
    {
        "pandas",
        "polars",
        "numpy",
        "pyarrow",
        "pyspark",
        "dask",
        "duckdb",
        "geopandas",
        "xarray",
        "ibis",
        "pydantic",
    }
)
"""Third-party packages known to define no Dagster resource: their types are data."""


def marks_of_library_type(dotted: str) -> frozenset[str] | None:
    """What a type from outside the project is, by its dotted name; None when unknown.

    ``dagster`` is known name by name. Dagster's integration libraries (``dagster_*``)
    name their resources ``...Resource`` and their Pipes clients ``Pipes...Client``, both
    accepted as parameter annotations; their I/O managers are refused. The standard
    library and the packages in ``DATA_PACKAGES`` hold no resources.
    """
    module, _, name = dotted.rpartition(".")
    top = module.split(".")[0]
    if top == "dagster":
        return DAGSTER_MARKS.get(name, frozenset())
    if top.startswith("dagster_"):
        if name.endswith("Resource"):
            return frozenset({RESOURCE_FACTORY, CONFIGURABLE_RESOURCE, CONFIG})
        if name.startswith("Pipes") and name.endswith("Client"):
            return frozenset({TREAT_AS_RESOURCE})
        if name.endswith("IOManager"):
            return frozenset({RESOURCE_FACTORY, CONFIG})
        return None
    if top == "builtins" or top in sys.stdlib_module_names or top in DATA_PACKAGES:
        return frozenset()
    return None


def is_resource(marks: frozenset[str]) -> bool:
    """Whether Dagster takes a parameter of this type for a resource
    (``_is_resource_annotation``)."""
    return bool(marks & {RESOURCE_FACTORY, RESOURCE_DEFINITION, TREAT_AS_RESOURCE})


def refused_as_resource(marks: frozenset[str]) -> bool:
    """A resource type Dagster refuses as a parameter annotation
    (``validate_resource_annotated_function``)."""
    return bool(marks & {RESOURCE_FACTORY, RESOURCE_DEFINITION}) and (
        CONFIGURABLE_RESOURCE not in marks
    )
