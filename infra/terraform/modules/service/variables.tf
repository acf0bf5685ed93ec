variable "name" {
  description = "Name of the ECS cluster and of the ECS service, and the prefix of every other resource name, for example \"hello-service-dev\"."
  type        = string

  validation {
    # The longest derived name is the execution role ("<name>-task-execution"),
    # and IAM role names are limited to 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,46}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 48 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the service runs in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC: the tasks may open connections to PostgreSQL (5432) inside it."
  type        = string

  validation {
    condition     = try(cidrhost(var.vpc_cidr_block, 0) == split("/", var.vpc_cidr_block)[0], false)
    error_message = "vpc_cidr_block must be an IPv4 network address in CIDR notation, for example 10.0.0.0/16."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks are placed in, one per Availability Zone. The tasks never get a public IP."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids must hold at least two subnet IDs (subnet-...), so that tasks spread over two or more Availability Zones."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer: the only source allowed to reach the app port."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.alb_security_group_id))
    error_message = "alb_security_group_id must be a security group ID such as sg-0123456789abcdef0."
  }
}

variable "target_group_arn" {
  description = "ARN of the (blue, primary) target group the service registers its tasks in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/.+", var.target_group_arn))
    error_message = "target_group_arn must be an Elastic Load Balancing target group ARN."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding the image: the execution role may pull from it and from nothing else."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "image" {
  description = "Full reference of the service's image, REPOSITORY_URL:TAG or, better, REPOSITORY_URL@sha256:DIGEST."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$", var.image))
    error_message = "image must be a full image reference with a registry, a repository and a tag or digest, for example 123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service:1.2.3."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks, X86_64 or ARM64 (Graviton, about 20% cheaper on Fargate). The image must be built for it."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "cpu" {
  description = "CPU units of a task (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of the Fargate sizes 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Memory of a task in MiB; it must be a combination Fargate offers for the chosen cpu (see the README)."
  type        = number
  default     = 512

  validation {
    # The Fargate task sizes: for each cpu value, the memory range and its step.
    condition = (
      var.cpu == 256 ? contains([512, 1024, 2048], var.memory) :
      var.cpu == 512 ? var.memory >= 1024 && var.memory <= 4096 && var.memory % 1024 == 0 :
      var.cpu == 1024 ? var.memory >= 2048 && var.memory <= 8192 && var.memory % 1024 == 0 :
      var.cpu == 2048 ? var.memory >= 4096 && var.memory <= 16384 && var.memory % 1024 == 0 :
      var.cpu == 4096 ? var.memory >= 8192 && var.memory <= 30720 && var.memory % 1024 == 0 :
      var.cpu == 8192 ? var.memory >= 16384 && var.memory <= 61440 && var.memory % 4096 == 0 :
      var.cpu == 16384 ? var.memory >= 32768 && var.memory <= 122880 && var.memory % 8192 == 0 :
      false
    )
    error_message = "memory is not a Fargate size for this cpu: 256 takes 512, 1024 or 2048; 512 takes 1024-4096 and 1024 takes 2048-8192 (steps of 1024); 2048 takes 4096-16384 and 4096 takes 8192-30720 (steps of 1024); 8192 takes 16384-61440 (steps of 4096); 16384 takes 32768-122880 (steps of 8192)."
  }
}

variable "desired_count" {
  description = "Number of tasks the service starts with. Afterwards the autoscaler owns the count (see the README: Terraform ignores later changes of it)."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number, 0 or more."
  }

  validation {
    condition     = !var.enable_autoscaling || (var.desired_count >= var.min_capacity && var.desired_count <= var.max_capacity)
    error_message = "With enable_autoscaling, desired_count must be from min_capacity to max_capacity."
  }
}

variable "min_capacity" {
  description = "Fewest tasks the autoscaler keeps running. Two or more keep the service up when one Availability Zone fails."
  type        = number
  default     = 2

  validation {
    condition     = var.min_capacity >= 1 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number, 1 or more."
  }
}

variable "max_capacity" {
  description = "Most tasks the autoscaler may run."
  type        = number
  default     = 10

  validation {
    condition     = floor(var.max_capacity) == var.max_capacity && var.max_capacity >= var.min_capacity
    error_message = "max_capacity must be a whole number no smaller than min_capacity."
  }
}

variable "fargate_base" {
  description = "Number of tasks always placed on on-demand Fargate before the weights split the rest between FARGATE and FARGATE_SPOT."
  type        = number
  default     = 1

  validation {
    condition     = var.fargate_base >= 0 && var.fargate_base <= 100000 && floor(var.fargate_base) == var.fargate_base
    error_message = "fargate_base must be a whole number from 0 to 100000."
  }
}

variable "fargate_weight" {
  description = "Relative share of the tasks beyond the base placed on on-demand FARGATE."
  type        = number
  default     = 1

  validation {
    condition     = var.fargate_weight >= 0 && var.fargate_weight <= 1000 && floor(var.fargate_weight) == var.fargate_weight
    error_message = "fargate_weight must be a whole number from 0 to 1000."
  }

  validation {
    # ECS does not place tasks on a capacity provider of weight 0, its base
    # included, so a base there would silently never be honoured.
    condition     = var.fargate_base == 0 || var.fargate_weight > 0
    error_message = "fargate_weight must be above 0 when fargate_base is: ECS places no task, not even the base, on a capacity provider of weight 0. For mostly Spot, give FARGATE_SPOT the larger weight instead."
  }
}

variable "fargate_spot_weight" {
  description = "Relative share of the tasks beyond the base placed on FARGATE_SPOT (interruptible with two minutes' notice, up to 70% cheaper). 0 turns Spot off."
  type        = number
  default     = 0

  validation {
    condition     = var.fargate_spot_weight >= 0 && var.fargate_spot_weight <= 1000 && floor(var.fargate_spot_weight) == var.fargate_spot_weight
    error_message = "fargate_spot_weight must be a whole number from 0 to 1000."
  }

  validation {
    condition     = var.fargate_weight + var.fargate_spot_weight > 0
    error_message = "fargate_weight and fargate_spot_weight must not both be 0: ECS needs a capacity provider with a positive weight to place tasks beyond the base."
  }
}

variable "app_port" {
  description = "Port of the app listener (APP_LISTEN_ADDR): the load balancer's target port."
  type        = number
  default     = 8080

  validation {
    # The collector sidecar shares the task's network namespace and listens on
    # 4317 (OTLP) and 13133 (its health check), so those ports are taken.
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port && !contains([4317, 13133], var.app_port)
    error_message = "app_port must be a whole number from 1024 to 65535 (the service runs without privileges), and not 4317 or 13133, which the collector sidecar uses."
  }
}

variable "admin_port" {
  description = "Port of the admin listener (APP_ADMIN_LISTEN_ADDR, /metrics): reachable only inside the task, by the collector sidecar."
  type        = number
  default     = 9090

  validation {
    condition     = var.admin_port >= 1024 && var.admin_port <= 65535 && floor(var.admin_port) == var.admin_port && !contains([4317, 13133], var.admin_port)
    error_message = "admin_port must be a whole number from 1024 to 65535, and not 4317 or 13133, which the collector sidecar uses."
  }

  validation {
    condition     = var.admin_port != var.app_port
    error_message = "admin_port must differ from app_port."
  }
}

variable "shutdown_timeout_seconds" {
  description = "Seconds in-flight requests get to finish after SIGTERM (APP_SHUTDOWN_TIMEOUT). ECS's stopTimeout is this plus 5 seconds for closing the pool and flushing telemetry."
  type        = number
  default     = 25

  validation {
    # Fargate allows a stopTimeout of at most 120 seconds.
    condition     = var.shutdown_timeout_seconds >= 1 && floor(var.shutdown_timeout_seconds) == var.shutdown_timeout_seconds && var.shutdown_timeout_seconds + 5 <= 120
    error_message = "shutdown_timeout_seconds must be a whole number from 1 to 115: the stopTimeout derived from it (plus 5 s) may be at most 120 s on Fargate."
  }
}

variable "log_level" {
  description = "RUST_LOG filter: a level (error, warn, info, debug, trace) or level and target=level directives, for example \"info,hello_service::access=warn\"."
  type        = string
  default     = "info"

  validation {
    condition     = can(regex("^[A-Za-z0-9_:=,.-]+$", var.log_level))
    error_message = "log_level must be a non-empty RUST_LOG filter of letters, digits and _ : = , . - (for example \"info\" or \"info,hello_service::access=warn\")."
  }
}

variable "log_retention_days" {
  description = "Days the container logs and the collector's metric (EMF) logs are kept in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "trace_sample_ratio" {
  description = "Share of new traces sampled (OTEL_TRACES_SAMPLER_ARG of the parentbased_traceidratio sampler), from 0 to 1."
  type        = number
  default     = 0.1

  validation {
    condition     = var.trace_sample_ratio >= 0 && var.trace_sample_ratio <= 1
    error_message = "trace_sample_ratio must be from 0 to 1."
  }
}

variable "collector_image" {
  description = "Image of the AWS Distro for OpenTelemetry collector sidecar. Pin it by digest in production (public.ecr.aws/aws-observability/aws-otel-collector@sha256:...)."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$", var.collector_image))
    error_message = "collector_image must be a full image reference with a registry, a repository and a tag or digest."
  }
}

variable "app_memory_reservation" {
  description = "MiB of the task's memory reserved for the service's container (its soft limit, no hard one): the service's resident memory under load is 19 to 25 MiB (docs/benchmarks.md), so the rest of the task stays free for bursts and the collector."
  type        = number
  default     = 64

  validation {
    condition     = var.app_memory_reservation >= 32 && floor(var.app_memory_reservation) == var.app_memory_reservation
    error_message = "app_memory_reservation must be a whole number of MiB, 32 or more."
  }
}

variable "collector_memory_reservation" {
  description = "MiB of the task's memory reserved for the collector sidecar (its soft limit)."
  type        = number
  default     = 64

  validation {
    condition     = var.collector_memory_reservation >= 32 && floor(var.collector_memory_reservation) == var.collector_memory_reservation
    error_message = "collector_memory_reservation must be a whole number of MiB, 32 or more."
  }
}

variable "collector_memory_limit" {
  description = "Hard memory limit of the collector sidecar in MiB. Past it only the collector is killed (it is not essential), never the service; its memory_limiter and GOMEMLIMIT are set below it."
  type        = number
  default     = 192

  validation {
    condition     = floor(var.collector_memory_limit) == var.collector_memory_limit && var.collector_memory_limit >= var.collector_memory_reservation
    error_message = "collector_memory_limit must be a whole number of MiB no smaller than collector_memory_reservation."
  }

  validation {
    # The service itself needs about 25 MiB; leave it at least 128 MiB.
    condition     = var.collector_memory_limit <= var.memory - 128
    error_message = "collector_memory_limit must leave at least 128 MiB of the task's memory to the service."
  }
}

variable "database_url" {
  description = "DATABASE_URL without credentials (postgres://HOST:5432/DB?sslmode=verify-full); the user and password come from the secret. null: no database."
  type        = string
  default     = null

  validation {
    condition     = var.database_url == null || can(regex("^postgres(ql)?://[^/?#@]+/[^?#]+", var.database_url))
    error_message = "database_url must look like postgres://HOST:PORT/DB?sslmode=... and hold no credentials (no user:password@): they come from the secret."
  }

  validation {
    # rds.force_ssl refuses unencrypted connections, so sslmode=disable cannot work.
    condition     = var.database_url == null || !can(regex("[?&]sslmode=disable(&|$)", var.database_url))
    error_message = "database_url must not use sslmode=disable: the database refuses connections without TLS."
  }
}

variable "database_secret_arn" {
  description = "ARN of the Secrets Manager secret with the database credentials (APP_SECRET_ID), for example the RDS-managed master user secret. null: none. The task role may read this secret and no other."
  type        = string
  default     = null

  validation {
    condition     = var.database_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^:]+$", var.database_secret_arn))
    error_message = "database_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX) or null."
  }
}

variable "database_secret_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts database_secret_arn; the task role may decrypt with it only through Secrets Manager. null when the secret uses the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.database_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+", var.database_secret_kms_key_arn))
    error_message = "database_secret_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "admin_token_secret_arn" {
  description = "Secrets Manager secret ECS injects as APP_ADMIN_TOKEN (enables /admin/faults on the admin port). A secret ARN, optionally with a JSON key (ARN:admin_token::). null: no token, the fault endpoints stay off."
  type        = string
  default     = null

  validation {
    condition     = var.admin_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^:]+(:[^:]*:[^:]*:[^:]*)?$", var.admin_token_secret_arn))
    error_message = "admin_token_secret_arn must be a Secrets Manager secret ARN, optionally followed by :JSON_KEY:VERSION_STAGE:VERSION_ID, or null."
  }
}

variable "admin_token_secret_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts admin_token_secret_arn; the execution role may decrypt with it only through Secrets Manager. null when the secret uses the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.admin_token_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+", var.admin_token_secret_kms_key_arn))
    error_message = "admin_token_secret_kms_key_arn must be a KMS key ARN or null."
  }
}

variable "extra_environment" {
  description = "More environment variables for the service (APP_DB_POOL_MAX, APP_DB_CA_FILE, APP_SECRET_REFRESH, ...). They may override the defaults this module sets, but not the variables it derives from its other inputs."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "extra_environment keys must be environment variable names (letters, digits and underscores, not starting with a digit)."
  }

  validation {
    # These follow from other inputs (ports, secrets, database, region, the
    # sidecar's address); setting them here would silently disagree with the
    # security group, the health check or the IAM policies.
    condition = length(setintersection(keys(var.extra_environment), [
      "APP_LISTEN_ADDR", "APP_ADMIN_LISTEN_ADDR", "APP_SHUTDOWN_TIMEOUT", "RUST_LOG", "DATABASE_URL", "APP_SECRET_ID",
      "APP_ADMIN_TOKEN", "AWS_REGION", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_SAMPLER_ARG",
    ])) == 0
    error_message = "extra_environment must not set APP_LISTEN_ADDR, APP_ADMIN_LISTEN_ADDR, APP_SHUTDOWN_TIMEOUT, RUST_LOG, DATABASE_URL, APP_SECRET_ID, APP_ADMIN_TOKEN, AWS_REGION, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL or OTEL_TRACES_SAMPLER_ARG: use the module's inputs for them (a token only ever through admin_token_secret_arn)."
  }
}

variable "deployment_environment" {
  description = "Value of the deployment.environment.name resource attribute of traces and of the environment dimension of metrics, for example \"prod\". null: the name."
  type        = string
  default     = null

  validation {
    # The value goes unencoded into OTEL_RESOURCE_ATTRIBUTES, where commas and
    # equals signs are separators.
    condition     = var.deployment_environment == null || can(regex("^[A-Za-z0-9._-]{1,64}$", var.deployment_environment))
    error_message = "deployment_environment must be 1 to 64 letters, digits, dots, underscores or hyphens, or null."
  }
}

variable "otel_service_name" {
  description = "OTEL_SERVICE_NAME: the service's name in X-Ray. The same in every environment; deployment_environment tells them apart."
  type        = string
  default     = "hello-service"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,64}$", var.otel_service_name))
    error_message = "otel_service_name must be 1 to 64 letters, digits, dots, underscores or hyphens."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's metrics, sent by the collector as embedded metric format logs."
  type        = string
  default     = "hello-service"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1 to 255 characters of letters, digits and . _ / # : -, and must not start with AWS/."
  }
}

variable "container_insights" {
  description = "Container Insights level of the cluster: enabled, or enhanced (per-task and per-container metrics, at a higher price)."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be enabled or enhanced: the RunningTaskCount alarm needs Container Insights."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds after a task starts during which ECS ignores failing load balancer health checks."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 3600 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds
    error_message = "health_check_grace_period_seconds must be a whole number from 0 to 3600."
  }
}

variable "container_health_check" {
  description = "Timing of the container health check (hello-service healthcheck, which waits at most 2 s for /health): interval, timeout and start period in seconds, retries before the container counts as unhealthy."
  type = object({
    interval     = optional(number, 10)
    timeout      = optional(number, 5)
    retries      = optional(number, 3)
    start_period = optional(number, 10)
  })
  default = {}

  validation {
    condition = (
      var.container_health_check.interval >= 5 && var.container_health_check.interval <= 300 &&
      var.container_health_check.timeout >= 3 && var.container_health_check.timeout <= 60 &&
      var.container_health_check.timeout < var.container_health_check.interval &&
      var.container_health_check.retries >= 1 && var.container_health_check.retries <= 10 &&
      var.container_health_check.start_period >= 0 && var.container_health_check.start_period <= 300
    )
    error_message = "container_health_check: interval must be 5-300, timeout 3-60 and below the interval (the check itself waits up to 2 s), retries 1-10, start_period 0-300."
  }
}

variable "nofile_limit" {
  description = "Soft and hard limit of open files of the service container (sockets included)."
  type        = number
  default     = 65536

  validation {
    condition     = var.nofile_limit >= 1024 && var.nofile_limit <= 1048576 && floor(var.nofile_limit) == var.nofile_limit
    error_message = "nofile_limit must be a whole number from 1024 to 1048576 (Fargate's maximum)."
  }
}

variable "enable_autoscaling" {
  description = "Scale the service between min_capacity and max_capacity by target tracking. Off only where Application Auto Scaling is unavailable (the moto run)."
  type        = bool
  default     = true
}

variable "cpu_target_percent" {
  description = "Average CPU utilization of the service the autoscaler aims for."
  type        = number
  default     = 70

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 95
    error_message = "cpu_target_percent must be from 10 to 95."
  }
}

variable "requests_per_target" {
  description = "ALB requests per task per minute (ALBRequestCountPerTarget) the autoscaler aims for."
  type        = number
  default     = 1000

  validation {
    condition     = var.requests_per_target >= 1
    error_message = "requests_per_target must be 1 or more."
  }
}

variable "scale_out_cooldown_seconds" {
  description = "Seconds after a scale-out before the autoscaler scales out again."
  type        = number
  default     = 60

  validation {
    condition     = var.scale_out_cooldown_seconds >= 0 && floor(var.scale_out_cooldown_seconds) == var.scale_out_cooldown_seconds
    error_message = "scale_out_cooldown_seconds must be a whole number, 0 or more."
  }
}

variable "scale_in_cooldown_seconds" {
  description = "Seconds after a scaling activity before the autoscaler scales in; longer than the scale-out cooldown, so that a short dip does not remove capacity a burst will need again."
  type        = number
  default     = 300

  validation {
    condition     = floor(var.scale_in_cooldown_seconds) == var.scale_in_cooldown_seconds && var.scale_in_cooldown_seconds > var.scale_out_cooldown_seconds
    error_message = "scale_in_cooldown_seconds must be a whole number greater than scale_out_cooldown_seconds."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (app/NAME/ID), for the ALBRequestCountPerTarget metric."
  type        = string

  validation {
    condition     = can(regex("^app/[^/]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/NAME/ID (the ALB's arn_suffix)."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (targetgroup/NAME/ID), for the ALBRequestCountPerTarget metric."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[^/]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/NAME/ID (the target group's arn_suffix)."
  }
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms that roll a deployment back while they are in ALARM (ECS deployment alarms, or CodeDeploy's alarm configuration with blue/green)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.deployment_alarm_names) <= 10 && alltrue([for n in var.deployment_alarm_names : length(n) >= 1 && length(n) <= 255])
    error_message = "deployment_alarm_names may hold at most 10 alarm names (the CodeDeploy limit), each 1 to 255 characters."
  }
}

variable "enable_blue_green" {
  description = "Deploy through CodeDeploy blue/green (deployment controller CODE_DEPLOY) instead of ECS rolling updates. Needs the green target group and the test listener of the ALB module. Switching it replaces the ECS service."
  type        = bool
  default     = false
}

variable "https_listener_arn" {
  description = "ARN of the ALB's production (HTTPS) listener, whose traffic CodeDeploy shifts. Needed with enable_blue_green."
  type        = string
  default     = null

  validation {
    condition     = var.https_listener_arn == null || can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/.+", var.https_listener_arn))
    error_message = "https_listener_arn must be an Elastic Load Balancing listener ARN or null."
  }
}

variable "test_listener_arn" {
  description = "ARN of the ALB's test listener, on which CodeDeploy exposes the green tasks before the switch. Needed with enable_blue_green."
  type        = string
  default     = null

  validation {
    condition     = var.test_listener_arn == null || can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/.+", var.test_listener_arn))
    error_message = "test_listener_arn must be an Elastic Load Balancing listener ARN or null."
  }

  validation {
    condition = !var.enable_blue_green || (
      var.https_listener_arn != null && var.test_listener_arn != null &&
      var.target_group_name != null && var.green_target_group_name != null
    )
    error_message = "enable_blue_green needs https_listener_arn, test_listener_arn, target_group_name and green_target_group_name (the ALB module makes them with its enable_blue_green)."
  }
}

variable "target_group_name" {
  description = "Name of the blue (primary) target group, for CodeDeploy. Needed with enable_blue_green."
  type        = string
  default     = null
}

variable "green_target_group_name" {
  description = "Name of the green target group, for CodeDeploy. Needed with enable_blue_green."
  type        = string
  default     = null

  validation {
    condition     = var.green_target_group_name == null || var.green_target_group_name != var.target_group_name
    error_message = "green_target_group_name must differ from target_group_name."
  }
}

variable "codedeploy_deployment_config" {
  description = "CodeDeploy deployment configuration of blue/green deployments: CodeDeployDefault.ECSAllAtOnce, or a canary or linear one such as CodeDeployDefault.ECSCanary10Percent5Minutes."
  type        = string
  default     = "CodeDeployDefault.ECSAllAtOnce"

  validation {
    condition     = length(var.codedeploy_deployment_config) >= 1 && length(var.codedeploy_deployment_config) <= 100
    error_message = "codedeploy_deployment_config must be a deployment configuration name of 1 to 100 characters."
  }
}

variable "codedeploy_termination_wait_minutes" {
  description = "Minutes CodeDeploy keeps the old (blue) tasks after the traffic moved, so that a rollback is instant."
  type        = number
  default     = 5

  validation {
    condition     = var.codedeploy_termination_wait_minutes >= 0 && var.codedeploy_termination_wait_minutes <= 2880 && floor(var.codedeploy_termination_wait_minutes) == var.codedeploy_termination_wait_minutes
    error_message = "codedeploy_termination_wait_minutes must be a whole number from 0 to 2880 (two days)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the module's IAM roles (the stack's, from modules/github-oidc), so that the role that applies the stack can manage them; null for none."
  type        = string
  default     = null
}
