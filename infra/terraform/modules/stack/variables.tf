variable "project" {
  description = "Project name, the first part of every resource name (PROJECT-ENVIRONMENT)."
  type        = string
  default     = "hello-service"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2 to 21 lower-case letters, digits or hyphens, starting with a letter (target group names allow 32 characters in all)."
  }
}

variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "vpc_cidr_block" {
  description = "The VPC's CIDR block."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR block, such as 10.0.0.0/16."
  }
}

variable "az_count" {
  description = "How many availability zones the VPC, the tasks and the database span."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be 2 to 6: an ALB needs subnets in at least two zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, one zone's failure cuts egress) instead of one per zone."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate the ALB's HTTPS listener serves."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "image" {
  description = "Image the service is created with, REPOSITORY@sha256:DIGEST (or REPOSITORY:TAG). After creation the deploy pipeline owns the running image; Terraform does not roll it back."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or a sha256 digest, such as ACCOUNT.dkr.ecr.REGION.amazonaws.com/hello-service-prod@sha256:..."
  }
}

variable "app_port" {
  description = "The service's app port (APP_LISTEN_ADDR), the only one the ALB reaches."
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && var.app_port != 9090
    error_message = "app_port must be an unprivileged port (1024 to 65535) other than the admin port 9090."
  }
}

variable "cpu_architecture" {
  description = "Task CPU architecture: ARM64 (Graviton, about 20% cheaper) or X86_64. The image is built for both."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.cpu_architecture)
    error_message = "cpu_architecture must be ARM64 or X86_64."
  }
}

variable "task_cpu" {
  description = "Task CPU units (256 = 0.25 vCPU), shared by the service and the collector sidecar."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Task memory in MiB, shared by the service and the collector sidecar."
  type        = number
  default     = 512
}

variable "min_capacity" {
  description = "Fewest running tasks (also the desired count at creation and the running-task alarm's floor)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 1
    error_message = "min_capacity must be at least 1."
  }

  validation {
    condition     = var.environment != "prod" || var.min_capacity >= 2
    error_message = "prod runs at least two tasks (min_capacity >= 2): one task's failure or replacement must not take the service down."
  }
}

variable "max_capacity" {
  description = "Most running tasks autoscaling may start."
  type        = number
  default     = 4

  validation {
    condition     = var.max_capacity >= var.min_capacity
    error_message = "max_capacity must be at least min_capacity."
  }
}

variable "fargate_base" {
  description = "Tasks always placed on regular (on-demand) Fargate before the weights apply."
  type        = number
  default     = 1
}

variable "fargate_weight" {
  description = "Relative share of tasks beyond the base on regular Fargate."
  type        = number
  default     = 1
}

variable "fargate_spot_weight" {
  description = "Relative share of tasks beyond the base on Fargate Spot (0 for none)."
  type        = number
  default     = 0
}

variable "enable_autoscaling" {
  description = "Target-tracking autoscaling on CPU and on requests per target."
  type        = bool
  default     = true
}

variable "requests_per_target" {
  description = "ALB requests per target per minute that autoscaling keeps each task at."
  type        = number
  default     = 6000
}

variable "log_level" {
  description = "RUST_LOG of the service."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Days the service's CloudWatch logs are kept."
  type        = number
  default     = 30
}

variable "trace_sample_ratio" {
  description = "Share of root requests traced (OTEL_TRACES_SAMPLER_ARG)."
  type        = number
  default     = 0.1
}

variable "migrate_on_start" {
  description = "Tasks apply database migrations at start (APP_DB_MIGRATE_ON_START); otherwise the deploy runs `hello-service migrate` as a one-off task."
  type        = bool
  default     = false
}

variable "extra_environment" {
  description = "More environment variables for the service container."
  type        = map(string)
  default     = {}
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "database_multi_az" {
  description = "A standby database in a second zone."
  type        = bool
  default     = false

  validation {
    condition     = var.environment != "prod" || var.database_multi_az
    error_message = "prod's database has a standby in a second zone (database_multi_az = true)."
  }
}

variable "database_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
  default     = 7
}

variable "database_connections_alarm_threshold" {
  description = "Database connections above which the connections alarm fires: about 80% of the instance class's max_connections, and above max tasks x APP_DB_POOL_MAX (16)."
  type        = number
  default     = 64
}

variable "database_name" {
  description = "Name of the service's database."
  type        = string
  default     = "hello"
}

variable "database_username" {
  description = "Master user name; RDS keeps its password in Secrets Manager and rotates it."
  type        = string
  default     = "hello"
}

variable "database_sslmode" {
  description = "sslmode in DATABASE_URL. RDS refuses unencrypted connections (rds.force_ssl); verify-full also needs the RDS CA bundle in the image through APP_DB_CA_FILE (extra_environment)."
  type        = string
  default     = "require"

  validation {
    condition     = contains(["require", "verify-ca", "verify-full"], var.database_sslmode)
    error_message = "database_sslmode must be require, verify-ca or verify-full: the database refuses unencrypted connections."
  }
}

variable "deletion_protection" {
  description = "Protect the ALB and the database from deletion, keep a final snapshot, and keep non-empty buckets and repositories (prod)."
  type        = bool
  default     = false

  validation {
    condition     = var.environment != "prod" || var.deletion_protection
    error_message = "prod's load balancer and database are protected from deletion (deletion_protection = true)."
  }
}

variable "force_destroy" {
  description = "Let destroy empty the log bucket and the image repository (dev and test runs only)."
  type        = bool
  default     = false
}

variable "enable_waf" {
  description = "A WAF web ACL with the AWS managed rule groups in front of the ALB."
  type        = bool
  default     = true
}

variable "ecr_replication_regions" {
  description = "Regions the image repository is replicated to, so a deploy there finds its image (the registry's replication configuration is one per account and region: modules/ecr/README.md). Empty manages none."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "enable_blue_green" {
  description = "Deploy through CodeDeploy blue/green (two target groups, a test listener) instead of ECS rolling updates."
  type        = bool
  default     = false
}

variable "alarm_emails" {
  description = "Addresses that get the alarms and the budget notifications."
  type        = list(string)
  default     = []
}

variable "enable_budget" {
  description = "A monthly cost budget with notifications at 80% and 100%."
  type        = bool
  default     = true
}

variable "budget_limit_usd" {
  description = "Monthly budget in US dollars."
  type        = number
  default     = 100
}

variable "github_repository" {
  description = "owner/repo whose workflows may deploy this environment through OIDC; null makes no deploy role."
  type        = string
  default     = null
}

variable "github_deploy_branch" {
  description = "The branch the environment's deploy jobs must run from, bound into the OIDC subject (the repository's subject template must include repo, context and ref: modules/github-oidc/README.md); null leaves it to the GitHub environment's deployment branch policy."
  type        = string
  default     = "main"
}

variable "create_github_oidc_provider" {
  description = "Create GitHub's OIDC provider (one per account: false when another environment in the account made it)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, when create_github_oidc_provider is false."
  type        = string
  default     = null
}

variable "github_push_role" {
  description = "Make the image workflow's push role (push_role_arn): the environment whose repository receives the builds (dev)."
  type        = bool
  default     = false
}

variable "github_release_tag_pattern" {
  description = "Release tags whose jobs of this environment may assume the push role (the image build of a v* tag runs in dev), never the deploy role; null for none."
  type        = string
  default     = null
}

variable "image_source_repository" {
  description = "The repository images are promoted from, by URL (dev's, where the image workflow pushes and signs them): the deploy role may pull from it to copy an image into this environment's own. null in the environment that builds."
  type        = string
  default     = null

  validation {
    condition     = var.image_source_repository == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+$", var.image_source_repository))
    error_message = "image_source_repository must be an ECR repository URL, ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME."
  }
}

variable "ecr_pull_account_ids" {
  description = "Accounts (the staging and prod ones) whose principals may pull from this environment's repository, to promote its images."
  type        = list(string)
  default     = []
}

variable "terraform_state" {
  description = "The environment's state: bootstrap's bucket and KMS key, and the backend's key. When set, the environment has the roles its deploy workflow runs Terraform with (NAME-github-terraform and the plan job's read-only NAME-github-plan, trusted by the GitHub environment ENVIRONMENT-plan). Needs github_repository."
  type = object({
    bucket      = string
    key         = string
    kms_key_arn = string
  })
  default = null
}
