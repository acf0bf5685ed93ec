//! The `OTEL_*` variables read as the specification defines them.

use std::collections::HashMap;

use super::*;
use crate::env::Problem;

fn read(vars: &[(&str, &str)]) -> Result<TracesConfig, Vec<Problem>> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let lookup = |name: &str| vars.get(name).cloned();
    let mut env = Env::new(&lookup);
    let traces = TracesConfig::read(&mut env);
    let problems = env.into_problems();
    if problems.is_empty() {
        Ok(traces)
    } else {
        Err(problems)
    }
}

fn named(problems: &[Problem]) -> Vec<&'static str> {
    problems.iter().map(|p| p.variable).collect()
}

#[test]
fn traces_are_exported_only_to_a_configured_collector() {
    let defaults = read(&[]).expect("defaults are valid");
    assert_eq!(defaults.export, None);
    assert_eq!(defaults.sampler_name, "parentbased_always_on");
    assert_eq!(defaults.service_name, None);
    assert!(defaults.resource_attributes.is_empty());
    assert_eq!(defaults.batch.max_queue_size, 2048);
    assert_eq!(defaults.batch.max_export_batch_size, 128);

    let endpoint = "http://localhost:4318";
    let export = |vars: &[(&str, &str)]| read(vars).expect("valid").export;
    assert_eq!(
        export(&[(OTEL_EXPORTER_OTLP_ENDPOINT, endpoint)]),
        Some(OtlpExport {
            endpoint: endpoint.to_owned(),
            protocol: OtlpProtocol::HttpProtobuf
        })
    );
    assert_eq!(
        export(&[
            (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "http://collector:4317"),
            (OTEL_EXPORTER_OTLP_PROTOCOL, "grpc"),
        ])
        .map(|export| (export.endpoint, export.protocol)),
        Some(("http://collector:4317".to_owned(), OtlpProtocol::Grpc))
    );
    assert_eq!(
        export(&[
            (OTEL_EXPORTER_OTLP_ENDPOINT, endpoint),
            (OTEL_SDK_DISABLED, "true")
        ]),
        None
    );
    assert_eq!(
        export(&[
            (OTEL_EXPORTER_OTLP_ENDPOINT, endpoint),
            (OTEL_TRACES_EXPORTER, "none")
        ]),
        None
    );
}

#[test]
fn resource_attributes_are_decoded_and_the_specifications_spellings_kept() {
    let traces = read(&[
        (
            OTEL_RESOURCE_ATTRIBUTES,
            "deployment.environment.name=prod, team = a%2Cb%3Dc ,",
        ),
        (OTEL_SERVICE_NAME, "greeter"),
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://localhost:4317"),
        (OTEL_EXPORTER_OTLP_PROTOCOL, "http/protobuf"),
        (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, "grpc"),
    ])
    .expect("valid");
    assert_eq!(
        traces.resource_attributes,
        [
            ("deployment.environment.name".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "a,b=c".to_owned()),
        ]
    );
    assert_eq!(traces.service_name.as_deref(), Some("greeter"));
    assert_eq!(
        traces.export.map(|export| export.protocol),
        Some(OtlpProtocol::Grpc),
        "the traces' own protocol wins"
    );

    for disabled in ["true", "TRUE", "True"] {
        let vars = [
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://localhost:4317"),
            (OTEL_SDK_DISABLED, disabled),
        ];
        assert_eq!(read(&vars).expect("valid").export, None, "{disabled}");
    }

    let problems = read(&[(OTEL_RESOURCE_ATTRIBUTES, "novalue")]).expect_err("invalid");
    assert_eq!(named(&problems), [OTEL_RESOURCE_ATTRIBUTES]);
}

#[test]
fn samplers_are_the_specifications() {
    let sampler = |name: &str, arg: Option<&str>| {
        let mut vars = vec![(OTEL_TRACES_SAMPLER, name)];
        vars.extend(arg.map(|arg| (OTEL_TRACES_SAMPLER_ARG, arg)));
        format!("{:?}", read(&vars).expect("valid").sampler)
    };
    assert_eq!(sampler("always_on", None), "AlwaysOn");
    assert_eq!(sampler("always_off", None), "AlwaysOff");
    assert_eq!(sampler("traceidratio", None), "TraceIdRatioBased(1.0)");
    assert_eq!(
        sampler("parentbased_traceidratio", Some("0.1")),
        "ParentBased(TraceIdRatioBased(0.1))"
    );
    assert_eq!(
        sampler("parentbased_always_off", None),
        "ParentBased(AlwaysOff)"
    );
}

#[test]
fn bad_trace_settings_are_named() {
    let problems = read(&[
        (OTEL_EXPORTER_OTLP_ENDPOINT, "https://collector:4317"),
        (OTEL_EXPORTER_OTLP_PROTOCOL, "http/json"),
        (OTEL_TRACES_SAMPLER, "xray"),
        (OTEL_BSP_MAX_QUEUE_SIZE, "8"),
        (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, "16"),
    ])
    .expect_err("all of these are invalid");
    assert_eq!(
        named(&problems),
        [
            OTEL_EXPORTER_OTLP_ENDPOINT,
            OTEL_EXPORTER_OTLP_PROTOCOL,
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
            OTEL_TRACES_SAMPLER,
        ]
    );
    let problems = read(&[
        (OTEL_TRACES_SAMPLER, "traceidratio"),
        (OTEL_TRACES_SAMPLER_ARG, "1.5"),
        (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "collector"),
    ])
    .expect_err("invalid");
    assert_eq!(
        named(&problems),
        [OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_SAMPLER_ARG]
    );
}
