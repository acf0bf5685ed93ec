locals {
  app_container_name       = "app"
  collector_container_name = "otel-collector"

  # Five seconds beyond the drain limit: after the in-flight requests the
  # service closes its pool and flushes telemetry (at most 3 s) before it exits.
  stop_timeout = var.shutdown_timeout_seconds + 5

  app_environment = merge(
    {
      APP_LISTEN_ADDR       = "0.0.0.0:${var.app_port}"
      APP_ADMIN_LISTEN_ADDR = "0.0.0.0:${var.admin_port}"
      APP_LOG_FORMAT        = "json"
      RUST_LOG              = var.log_level
      APP_SHUTDOWN_TIMEOUT  = "${var.shutdown_timeout_seconds}s"
      AWS_REGION            = local.region

      # The collector sidecar shares the task's network namespace.
      OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4317"
      OTEL_EXPORTER_OTLP_PROTOCOL = "grpc"
      OTEL_SERVICE_NAME           = var.otel_service_name
      # aws.log.group.names lets X-Ray link each trace to the service's logs.
      OTEL_RESOURCE_ATTRIBUTES = "deployment.environment.name=${local.environment},aws.log.group.names=${local.log_group_name}"
      OTEL_TRACES_SAMPLER      = "parentbased_traceidratio"
      OTEL_TRACES_SAMPLER_ARG  = tostring(var.trace_sample_ratio)
    },
    var.database_url != null ? { DATABASE_URL = var.database_url } : {},
    var.database_secret_arn != null ? { APP_SECRET_ID = var.database_secret_arn } : {},
    var.extra_environment,
  )

  app_secrets = var.admin_token_secret_arn != null ? [
    { name = "APP_ADMIN_TOKEN", valueFrom = var.admin_token_secret_arn },
  ] : []

  # The awslogs driver in non-blocking mode buffers up to max-buffer-size and
  # drops lines beyond it, so a slow or unavailable CloudWatch Logs never stalls
  # a container's writes to stdout. The service does not depend on this: it
  # writes its lines from a background thread through a bounded queue and never
  # blocks a request on a log write; this keeps the collector's output just as
  # harmless.
  log_options = {
    awslogs-group         = aws_cloudwatch_log_group.this.name
    awslogs-region        = local.region
    awslogs-stream-prefix = "ecs"
    mode                  = "non-blocking"
    max-buffer-size       = "25m"
  }

  # The collector's memory: a hard limit kills only the collector (it is not
  # essential), and below that its memory_limiter refuses data and the Go
  # runtime collects garbage harder, so it rarely gets there.
  collector_soft_limit_mib = floor(var.collector_memory_limit * 0.8)

  collector_config = yamlencode({
    extensions = {
      # Answers /healthcheck, the container health check below.
      health_check = { endpoint = "127.0.0.1:13133" }
    }

    receivers = {
      # Loopback only: nothing outside the task can send spans.
      otlp = { protocols = { grpc = { endpoint = "127.0.0.1:4317" } } }

      prometheus = {
        config = {
          scrape_configs = [{
            job_name        = "hello-service"
            scrape_interval = "30s"
            scrape_timeout  = "10s"
            metrics_path    = "/metrics"
            static_configs = [{
              targets = ["127.0.0.1:${var.admin_port}"]
              # Becomes a label of every series, and so a CloudWatch dimension
              # that keeps the environments apart in one namespace.
              labels = { environment = local.environment }
            }]
          }]
        }
      }
    }

    processors = {
      memory_limiter = {
        check_interval  = "1s"
        limit_mib       = local.collector_soft_limit_mib
        spike_limit_mib = floor(var.collector_memory_limit * 0.2)
      }
      # Adds the task's ARN, cluster, family and Availability Zone from the ECS
      # task metadata endpoint; awsemf names its log streams by the task id.
      resourcedetection = {
        detectors = ["env", "ecs"]
        timeout   = "2s"
        override  = false
      }
      # X-Ray takes at most 50 segments per PutTraceSegments call.
      "batch/traces" = {
        timeout         = "1s"
        send_batch_size = 50
      }
      "batch/metrics" = {
        timeout = "60s"
      }
    }

    exporters = {
      awsxray = {
        region = local.region
      }
      awsemf = {
        region                  = local.region
        namespace               = var.metrics_namespace
        log_group_name          = local.metrics_log_group_name
        log_stream_name         = "{TaskId}"
        dimension_rollup_option = "NoDimensionRollup"
        # Only these metrics become CloudWatch metrics, each with dimensions
        # of bounded cardinality: every distinct set of dimension values is a
        # billed custom metric. The rest stays in the EMF log records.
        metric_declarations = [
          {
            dimensions            = [["environment", "route", "status"], ["environment"]]
            metric_name_selectors = ["^http_server_requests(_total)?$", "^http_server_request_duration_seconds$"]
          },
          {
            dimensions            = [["environment"]]
            metric_name_selectors = ["^http_server_requests_in_flight$", "^db_pool_max_connections$", "^db_pool_acquire_duration_seconds$"]
          },
          {
            dimensions            = [["environment", "state"]]
            metric_name_selectors = ["^db_pool_connections$"]
          },
          {
            dimensions            = [["environment", "kind"]]
            metric_name_selectors = ["^db_pool_errors(_total)?$"]
          },
          {
            dimensions            = [["environment", "result"]]
            metric_name_selectors = ["^secrets_fetch(_total)?$"]
          },
        ]
      }
    }

    service = {
      extensions = ["health_check"]
      pipelines = {
        traces = {
          receivers  = ["otlp"]
          processors = ["memory_limiter", "resourcedetection", "batch/traces"]
          exporters  = ["awsxray"]
        }
        metrics = {
          receivers  = ["prometheus"]
          processors = ["memory_limiter", "resourcedetection", "batch/metrics"]
          exporters  = ["awsemf"]
        }
      }
    }
  })

  container_definitions = [
    {
      name      = local.app_container_name
      image     = var.image
      essential = true

      portMappings = [
        { containerPort = var.app_port, hostPort = var.app_port, protocol = "tcp" },
        { containerPort = var.admin_port, hostPort = var.admin_port, protocol = "tcp" },
      ]

      # A soft limit only: the service may use the task's free memory in a burst,
      # and ECS keeps this much for it beside the collector.
      memoryReservation = var.app_memory_reservation

      # The image is distroless: no shell, nothing written to disk, runs as
      # the nonroot user, needs no Linux capability.
      readonlyRootFilesystem = true
      user                   = "65532:65532"
      privileged             = false
      linuxParameters = {
        capabilities = { drop = ["ALL"] }
        # The binary is PID 1 and handles SIGTERM (drain) and a second signal
        # (exit at once) itself; an init process in front of it is not needed.
        initProcessEnabled = false
      }
      ulimits = [
        { name = "nofile", softLimit = var.nofile_limit, hardLimit = var.nofile_limit },
      ]
      stopTimeout = local.stop_timeout

      # The same probe as the image's HEALTHCHECK: /health on the app port
      # within 2 s, which never touches the database.
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/hello-service", "healthcheck"]
        interval    = var.container_health_check.interval
        timeout     = var.container_health_check.timeout
        retries     = var.container_health_check.retries
        startPeriod = var.container_health_check.start_period
      }

      environment = [for k in sort(keys(local.app_environment)) : { name = k, value = local.app_environment[k] }]
      secrets     = local.app_secrets

      # Started after the collector so that the first spans find a receiver;
      # START, not HEALTHY: a collector that never becomes healthy must not
      # keep the service from starting.
      dependsOn = [
        { containerName = local.collector_container_name, condition = "START" },
      ]

      logConfiguration = {
        logDriver = "awslogs"
        options   = local.log_options
      }
    },
    {
      name  = local.collector_container_name
      image = var.collector_image
      # A collector that dies must not stop the task: the service then drops
      # spans from its bounded queue and keeps serving.
      essential = false

      readonlyRootFilesystem = true
      # The image's own unprivileged user, by number, whatever the image says.
      user       = "4317:4317"
      privileged = false
      linuxParameters = {
        capabilities = { drop = ["ALL"] }
      }

      memoryReservation = var.collector_memory_reservation
      memory            = var.collector_memory_limit

      environment = [
        # ADOT reads its whole configuration from this variable when it is set.
        { name = "AOT_CONFIG_CONTENT", value = local.collector_config },
        { name = "GOMEMLIMIT", value = "${local.collector_soft_limit_mib}MiB" },
      ]

      # Informational only: ECS derives a task's health from its essential
      # containers, so an unhealthy collector does not replace the task.
      healthCheck = {
        command     = ["CMD", "/healthcheck"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 15
      }

      logConfiguration = {
        logDriver = "awslogs"
        options   = local.log_options
      }
    },
  ]
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode(local.container_definitions)

  # Revisions Terraform replaces stay registered, so that the deployment
  # circuit breaker, CodeDeploy and a person can still roll back to them.
  skip_destroy = true

  tags = {
    Name = var.name
  }
}
