# The whole of hello-service in one environment: every module wired to the others. The
# environments call this once with their own sizes, so dev, staging and prod cannot
# drift apart in shape, only in size.

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  name = "${var.project}-${var.environment}"

  # Credentials are not in the URL: the service reads them from the RDS-managed secret
  # (APP_SECRET_ID) and follows its rotations without a restart.
  # Every role of the stack carries it, so that the Terraform role may manage them
  # (modules/github-oidc/boundary.tf). Without GitHub roles there is none.
  permissions_boundary_arn = var.github_repository == null ? null : module.github_oidc[0].permissions_boundary_arn

  database_url = "postgres://${module.database.address}:${module.database.port}/${module.database.db_name}?sslmode=${var.database_sslmode}"
}

module "network" {
  source = "../network"

  name               = local.name
  cidr_block         = var.vpc_cidr_block
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway

  # What the tasks call, kept off the NAT gateways: image pulls, logs (and the
  # collector's metrics, written as embedded-metric log events), secrets, and traces.
  interface_endpoint_services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "xray"]
  permissions_boundary_arn    = local.permissions_boundary_arn
}

module "ecr" {
  source = "../ecr"

  name                = local.name
  force_delete        = var.force_destroy
  replication_regions = var.ecr_replication_regions
  pull_account_ids    = var.ecr_pull_account_ids
}

module "alb" {
  source = "../alb"

  name                = local.name
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  public_subnet_ids   = module.network.public_subnet_ids
  certificate_arn     = var.certificate_arn
  app_port            = var.app_port
  deletion_protection = var.deletion_protection
  enable_waf          = var.enable_waf
  enable_blue_green   = var.enable_blue_green
  force_destroy_logs  = var.force_destroy
}

module "database" {
  source = "../database"

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  allowed_security_group_ids = [module.service.security_group_id]
  instance_class             = var.database_instance_class
  multi_az                   = var.database_multi_az
  backup_retention_days      = var.database_backup_retention_days
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !var.deletion_protection
  db_name                    = var.database_name
  master_username            = var.database_username
  permissions_boundary_arn   = local.permissions_boundary_arn
}

module "observability" {
  source = "../observability"

  # The cluster and the service are both named local.name (modules/service): passing
  # the name, not the service's output, keeps the alarms free of a dependency on the
  # service, whose deployments the alarms roll back.
  name                          = local.name
  cluster_name                  = local.name
  service_name                  = local.name
  alb_arn_suffix                = module.alb.alb_arn_suffix
  target_group_arn_suffix       = module.alb.target_group_arn_suffix
  enable_blue_green             = var.enable_blue_green
  green_target_group_arn_suffix = module.alb.green_target_group_arn_suffix
  alarm_emails                  = var.alarm_emails
  min_running_tasks             = var.min_capacity
  database_instance_identifier  = module.database.instance_identifier
  # Outputs that echo the service's variables: no dependency on its resources.
  metrics_namespace   = module.service.metrics_namespace
  metrics_environment = module.service.metrics_environment
  # Each task holds up to APP_DB_POOL_MAX (16) connections.
  database_connections_threshold = var.database_connections_alarm_threshold
}

module "service" {
  source = "../service"

  name                        = local.name
  vpc_id                      = module.network.vpc_id
  vpc_cidr_block              = module.network.vpc_cidr_block
  private_subnet_ids          = module.network.private_subnet_ids
  alb_security_group_id       = module.alb.security_group_id
  target_group_arn            = module.alb.target_group_arn
  ecr_repository_arn          = module.ecr.repository_arn
  image                       = var.image
  cpu_architecture            = var.cpu_architecture
  cpu                         = var.task_cpu
  memory                      = var.task_memory
  desired_count               = var.min_capacity
  min_capacity                = var.min_capacity
  max_capacity                = var.max_capacity
  fargate_base                = var.fargate_base
  fargate_weight              = var.fargate_weight
  fargate_spot_weight         = var.fargate_spot_weight
  app_port                    = var.app_port
  log_level                   = var.log_level
  log_retention_days          = var.log_retention_days
  trace_sample_ratio          = var.trace_sample_ratio
  deployment_environment      = var.environment
  database_url                = local.database_url
  database_secret_arn         = module.database.master_user_secret_arn
  database_secret_kms_key_arn = module.database.kms_key_arn
  extra_environment = merge(
    { APP_DB_MIGRATE_ON_START = tostring(var.migrate_on_start) },
    var.extra_environment,
  )
  enable_autoscaling      = var.enable_autoscaling
  requests_per_target     = var.requests_per_target
  alb_arn_suffix          = module.alb.alb_arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  deployment_alarm_names  = module.observability.deployment_alarm_names
  enable_blue_green       = var.enable_blue_green
  https_listener_arn      = module.alb.https_listener_arn
  test_listener_arn       = module.alb.test_listener_arn
  target_group_name       = module.alb.target_group_name
  green_target_group_name = module.alb.green_target_group_name

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "budget" {
  source = "../budget"
  count  = var.enable_budget ? 1 : 0

  name                = local.name
  limit_amount_usd    = var.budget_limit_usd
  notification_emails = var.alarm_emails
  sns_topic_arn       = module.observability.sns_topic_arn
  # One tag: a budget's tag filter ORs its values. Each environment is meant to have an
  # account of its own, so the Project tag alone is this environment's spend.
  cost_filter_tags = { Project = var.project }
}

locals {
  # ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME, as the workflows name a repository.
  image_source                = var.image_source_repository == null ? null : regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/(.+)$", var.image_source_repository)
  image_source_repository_arn = local.image_source == null ? null : "arn:${data.aws_partition.current.partition}:ecr:${local.image_source[1]}:${local.image_source[0]}:repository/${local.image_source[2]}"
}

module "github_oidc" {
  source = "../github-oidc"
  count  = var.github_repository == null ? 0 : 1

  name              = local.name
  github_repository = var.github_repository
  # Only the jobs of the environment's GitHub environment (whose protection rules,
  # such as required reviewers, then gate every deploy) running from main; no branch
  # subject, so no job outside the environment can deploy.
  branch                 = null
  github_environments    = [var.environment]
  environment_branch     = var.github_deploy_branch
  task_definition_family = module.service.task_definition_family
  create_oidc_provider   = var.create_github_oidc_provider
  oidc_provider_arn      = var.github_oidc_provider_arn
  ecr_repository_arn     = module.ecr.repository_arn
  ecs_cluster_arn        = module.service.cluster_arn
  ecs_service_name       = module.service.service_name
  pass_role_arns         = [module.service.task_role_arn, module.service.execution_role_arn]
  codedeploy_app_name    = module.service.codedeploy_app_name

  # The image workflow's builds push here (dev); a v* tag's build runs in this
  # environment too (image.yml), with the push role only.
  push_role                   = var.github_push_role
  release_tag_pattern         = var.github_release_tag_pattern
  image_source_repository_arn = local.image_source_repository_arn
  terraform_state = var.terraform_state == null ? null : {
    bucket      = var.terraform_state.bucket
    key         = var.terraform_state.key
    kms_key_arn = var.terraform_state.kms_key_arn
  }
  plan_environment = var.terraform_state == null ? null : "${var.environment}-plan"
}
