# dev: the smallest shape that is still the real one. Two zones behind one NAT gateway,
# one task of 0.25 vCPU / 512 MiB on Fargate Spot (about 70% cheaper; an interruption
# is a two-minute SIGTERM the service drains within), a single-zone micro database, and
# everything destroyable. The service's resident memory is about 25 MiB under load;
# the collector sidecar takes most of the rest.
module "stack" {
  source = "../../modules/stack"

  environment     = "dev"
  certificate_arn = var.certificate_arn
  image           = var.image
  alarm_emails    = var.alarm_emails

  az_count           = 2
  single_nat_gateway = true

  cpu_architecture    = "ARM64"
  task_cpu            = 256
  task_memory         = 512
  min_capacity        = 1
  max_capacity        = 2
  fargate_base        = 0
  fargate_weight      = 0
  fargate_spot_weight = 1
  enable_autoscaling  = var.enable_autoscaling
  enable_blue_green   = var.enable_blue_green

  ecr_replication_regions = var.ecr_replication_regions

  log_level          = "info,hello_service=debug"
  log_retention_days = 14
  trace_sample_ratio = 1
  migrate_on_start   = true

  database_instance_class        = "db.t4g.micro"
  database_multi_az              = false
  database_backup_retention_days = 1

  deletion_protection = false
  force_destroy       = true

  enable_budget = var.enable_budget
  # A quarter above the estimate in docs/infrastructure.md, so the 80% notice means
  # the month is running past it, not that it is a normal month.
  budget_limit_usd = 250

  github_repository           = var.github_repository
  create_github_oidc_provider = var.create_github_oidc_provider
  github_oidc_provider_arn    = var.github_oidc_provider_arn
  # The key repeats versions.tf's backend key: a backend block takes no variables.
  terraform_state = var.terraform_state_bucket == null ? null : {
    bucket      = var.terraform_state_bucket
    key         = "hello-service/dev/terraform.tfstate"
    kms_key_arn = var.terraform_state_kms_key_arn
  }
  # The image workflow builds into dev's repository, from main and from release tags.
  github_push_role           = true
  github_release_tag_pattern = "v*"
  ecr_pull_account_ids       = var.ecr_pull_account_ids
}
